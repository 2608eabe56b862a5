"""A course with a row in every place a secret could hide, and questionnaire results to export.

Markers sit in every free-text field that must never leave in an export (``NEVER``), and in the
shared summary of a signed note (``SHARED_SUMMARY``: the patient's own PDF only).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from ipt.care.models import (
    CourseStatus,
    Formulation,
    InventoryPerson,
    ProblemArea,
    ProblemAreaKind,
    ProblemAreaRank,
    Relation,
    TreatmentCourse,
)
from ipt.measures.instruments import registry
from ipt.measures.models import QuestionnaireResponse, ResponseStatus
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth.models import ConsentDocument, ConsentSignature, LocationCheck
from ipt.visits.models import Encounter, EncounterStatus, NoteStatus, SessionNote

GOAL = "Tell my partner what I need"
SHARED_SUMMARY = "SUMMARY-MARKER-4410 we practised the talk"
NEVER = {
    "referral": "SECRET-REFERRAL",
    "private": "PRIVATE-MARKER-7781",
    "draft summary": "DRAFT-SUMMARY-MARKER-1290",
    "note work": "NOTEWORK-MARKER-5512",
    "risk review": "RISK-MARKER-9021",
    "formulation": "FORMULATION-MARKER-3307",
    "plain formulation": "PLAINFORM-MARKER-6623",
    "medication": "MEDICATION-MARKER-8120",
    "prescriber": "PRESCRIBER-MARKER-0044",
    "inventory": "INVENTORY-MARKER-1188",
    "strategies": "STRATEGY-MARKER-2034",
    "relationship": "RELATIONSHIP-MARKER-7750",
    "cancellation": "CANCELLATION-MARKER-6618",
    "location": "LOCATION-MARKER-3141",
}
PHQ9_ANSWERS = ([2] * 9 + [1], [1] * 9 + [1], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])  # 18, 9, 3


@dataclass
class Record:
    course: TreatmentCourse
    area: ProblemArea
    encounters: list[Encounter]
    responses: list[QuestionnaireResponse]


def build_record(team, *, formulation_shared: bool = True) -> Record:
    therapist = team.therapist
    now = timezone.now()
    course = TreatmentCourse.objects.create(
        care_team=team,
        status=CourseStatus.MIDDLE,
        target_conditions=["depression"],
        icd10_codes="F32.1",
        medication=NEVER["medication"],
        prescriber_contact=NEVER["prescriber"],
        created_at=now - timedelta(days=40),
    )
    person = InventoryPerson.objects.create(course=course, name=NEVER["inventory"], relation=Relation.PARTNER)
    area = ProblemArea.objects.create(
        course=course,
        kind=ProblemAreaKind.ROLE_DISPUTE,
        rank=ProblemAreaRank.PRIMARY,
        person=person,
        goals=f"{GOAL}\nAgree who does the shopping",
        strategies=NEVER["strategies"],
        relationship_notes=NEVER["relationship"],
    )
    Formulation.objects.create(
        course=course,
        version=1,
        clinical_text=NEVER["formulation"],
        plain_text=NEVER["plain formulation"],
        written_by=therapist,
        shared_at=now if formulation_shared else None,
    )
    encounters, responses = [], []
    instrument = registry.get("phq9")
    for number, answers in enumerate(PHQ9_ANSWERS, start=1):
        held_at = now - timedelta(days=30 - 7 * number)
        encounter = Encounter.objects.create(
            course=course, number=number, phase=CourseStatus.MIDDLE, starts_at=held_at, created_by=therapist
        )
        signed = number < len(PHQ9_ANSWERS)
        SessionNote.objects.create(
            encounter=encounter,
            status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
            problem_area_work=NEVER["note work"],
            risk_review=NEVER["risk review"],
            shared_summary=SHARED_SUMMARY if signed else NEVER["draft summary"],
            private_notes=NEVER["private"],
            signed_at=held_at if signed else None,
            signed_by=therapist if signed else None,
        )
        score = instrument.score(answers)
        responses.append(
            QuestionnaireResponse.objects.create(
                course=course,
                instrument="phq9",
                encounter=encounter,
                status=ResponseStatus.COMPLETED,
                answers=list(answers),
                total=score.total,
                severity=score.severity,
                flags=score.flags,
                started_at=held_at - timedelta(hours=1),
                submitted_at=held_at - timedelta(minutes=30),
                submitted_by=team.patient,
            )
        )
        encounters.append(encounter)
    Encounter.objects.create(
        course=course,
        number=len(PHQ9_ANSWERS) + 1,
        phase=CourseStatus.MIDDLE,
        starts_at=now - timedelta(days=1),
        status=EncounterStatus.MISSED,
        created_by=therapist,
    )
    QuestionnaireResponse.objects.create(course=course, instrument="gad7", answers=[1, 2])  # a draft
    _appointments(team, course, encounters[-1])
    return Record(course, area, encounters, responses)


def _appointments(team, course: TreatmentCourse, held: Encounter) -> None:
    """One held by video (with its location check), one cancelled, one to come; a signed consent."""
    common = {
        "therapist": team.therapist,
        "patient": team.patient,
        "course": course,
        "created_by": team.therapist,
    }
    start = held.starts_at
    appointment = Appointment.objects.create(
        **common,
        start=start,
        end=start + timedelta(minutes=50),
        status=AppointmentStatus.FULFILLED,
        encounter=held,
    )
    LocationCheck.objects.create(
        appointment=appointment,
        country="GB",
        region="GB-ENG",
        emergency_address=NEVER["location"],
        is_private=True,
        callback_number=NEVER["location"],
    )
    Appointment.objects.create(
        **common,
        start=start + timedelta(days=3),
        end=start + timedelta(days=3, minutes=50),
        status=AppointmentStatus.CANCELLED,
        cancellation_reason=NEVER["cancellation"],
    )
    Appointment.objects.create(
        **common, start=start + timedelta(days=7), end=start + timedelta(days=7, minutes=50)
    )
    document, _ = ConsentDocument.objects.get_or_create(
        version=1, defaults={"title": "Consent to video sessions", "body": "Text."}
    )
    ConsentSignature.objects.create(
        document=document, patient=team.patient, typed_name=team.patient.display_name
    )


@pytest.fixture
def record(personas) -> Record:
    return build_record(personas.care_team)


@pytest.fixture
def other_record(personas) -> Record:
    return build_record(personas.other_care_team)
