"""FHIR R4 resources for a patient's record: a minimal export, built as plain JSON dicts.

What goes out is what another service needs to continue care and nothing more:
- Patient (name), Practitioner (the therapist's name);
- a CarePlan per treatment course (status, format, dates) with the problem areas as activities and
  their goals as Goal resources, and the course's sessions (Encounter: number, date, status);
- when questionnaires exist, each instrument as a Questionnaire, each completed form as a
  QuestionnaireResponse and its total as an Observation (LOINC code, ``derivedFrom`` the response);
- the appointments (Appointment: status, start, end, the two participants; an Encounter names the
  Appointment it came from) and each signed telehealth consent (Consent: version, date).

What never goes out, to anyone: session-note text (summaries included), psychotherapy (private)
notes, the referral reason, the formulation, medication and prescriber details, the interpersonal
inventory and timeline (third parties' names and lives), risk reviews. ``ipt.interop.tests`` check
it with markers in every one of those fields.

Ids: Patient is the care team's id (the patient's record, as in ``/patients/<care_team_id>/``),
Practitioner the therapist's user id, CarePlan the course's, Goal the problem area's, Encounter
the encounter's, Appointment the appointment's, Consent the signature's, Questionnaire the
instrument code, QuestionnaireResponse the response's and its
Observation the response's id with ``-total``. Every reference is relative and resolves within
the bundle it is sent in.
"""

from dataclasses import dataclass, field

from ipt.accounts.models import CareTeam, User
from ipt.care.access import courses_for, formulations_for, problem_areas_for
from ipt.care.models import CourseStatus, ProblemArea, ProblemAreaRank, TreatmentCourse
from ipt.interop import measures
from ipt.scheduling.access import appointments_for
from ipt.scheduling.models import Appointment
from ipt.telehealth.models import ConsentSignature
from ipt.visits.models import Encounter, EncounterStatus

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_CATEGORY_TEXT = "Interpersonal problem area"
IPT_TEXT = "Interpersonal psychotherapy (IPT)"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"

CARE_PLAN_STATUS: dict[str, str] = {
    CourseStatus.INTAKE: "active",
    CourseStatus.INITIAL: "active",
    CourseStatus.MIDDLE: "active",
    CourseStatus.TERMINATION: "active",
    CourseStatus.MAINTENANCE: "active",
    CourseStatus.COMPLETED: "completed",
    CourseStatus.DISCONTINUED: "revoked",
}
# CarePlan.activity.detail.status for the course's work as a whole.
ACTIVITY_STATUS = {"active": "in-progress", "completed": "completed", "revoked": "cancelled"}
GOAL_STATUS = {"active": "active", "completed": "completed", "revoked": "cancelled"}
ENCOUNTER_STATUS: dict[str, str] = {
    EncounterStatus.PLANNED: "planned",
    EncounterStatus.FINISHED: "finished",
    EncounterStatus.CANCELLED: "cancelled",
    EncounterStatus.MISSED: "cancelled",  # the patient did not come: it did not take place
}


def instant(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def ref(resource: dict) -> dict:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def human_name(user: User) -> list[dict]:
    name: dict = {"use": "official", "text": user.display_name}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return [name]


def patient_resource(team: CareTeam) -> dict:
    patient = team.patient
    return {
        "resourceType": "Patient",
        "id": str(team.pk),
        "active": patient.is_active,
        "name": human_name(patient),
        "generalPractitioner": [{"reference": f"Practitioner/{team.therapist_id}"}],
    }


def practitioner_resource(user: User) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "active": user.is_active,
        "name": human_name(user),
    }


def _problem_area_label(area: ProblemArea) -> str:
    return f"{area.get_kind_display()} ({ProblemAreaRank(area.rank).label.lower()} problem area)"


def goal_resource(area: ProblemArea, patient: dict, plan_status: str) -> dict:
    goals = "; ".join(line.strip() for line in area.goals.splitlines() if line.strip())
    return {
        "resourceType": "Goal",
        "id": str(area.pk),
        "lifecycleStatus": GOAL_STATUS[plan_status],
        "category": [{"text": GOAL_CATEGORY_TEXT}],
        "description": {"text": goals or f"Work on the {area.get_kind_display().lower()} problem area"},
        "subject": ref(patient),
        "startDate": area.chosen_at.date().isoformat(),
    }


def encounter_resource(
    encounter: Encounter, patient: dict, practitioner: dict, appointment_id: str | None = None
) -> dict:
    resource = {
        "resourceType": "Encounter",
        "id": str(encounter.pk),
        "status": ENCOUNTER_STATUS.get(encounter.status, "unknown"),
        "class": {"system": ACT_CODE, "code": "VR", "display": "virtual"},
        "type": [{"text": f"{IPT_TEXT} session {encounter.number}"}],
        "subject": ref(patient),
        "participant": [{"individual": ref(practitioner)}],
        "period": {"start": instant(encounter.starts_at)},
    }
    if appointment_id is not None:
        resource["appointment"] = [{"reference": f"Appointment/{appointment_id}"}]
    return resource


def appointment_resource(appointment: Appointment, patient: dict, practitioner: dict) -> dict:
    """Status names are FHIR's own; the cancellation reason (free text) stays home."""
    return {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "status": appointment.status,
        "serviceType": [{"text": IPT_TEXT}],
        "appointmentType": {"text": "Video session"},
        "start": instant(appointment.start),
        "end": instant(appointment.end),
        "minutesDuration": int((appointment.end - appointment.start).total_seconds() // 60),
        "created": instant(appointment.created_at),
        "participant": [
            {"actor": ref(patient), "required": "required", "status": "accepted"},
            {"actor": ref(practitioner), "required": "required", "status": "accepted"},
        ],
    }


def consent_resource(signature: ConsentSignature, patient: dict) -> dict:
    return {
        "resourceType": "Consent",
        "id": str(signature.pk),
        "status": "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "treatment", "display": "Treatment"}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": ref(patient),
        "dateTime": instant(signature.signed_at),
        "policyRule": {"text": f"{signature.document.title}, version {signature.document.version}"},
    }


def care_plan_resource(
    course: TreatmentCourse,
    patient: dict,
    practitioner: dict,
    goals: list[dict],
    areas,
    encounters: list[dict],
) -> dict:
    status = CARE_PLAN_STATUS[CourseStatus(course.status)]
    activity_status = ACTIVITY_STATUS[status]
    goal_by_area = {goal["id"]: goal for goal in goals}
    activities = [
        {
            "detail": {
                "code": {"text": _problem_area_label(area)},
                "status": activity_status,
                "goal": [ref(goal_by_area[str(area.pk)])],
            }
        }
        for area in areas
    ]
    sessions: dict = {"detail": {"code": {"text": f"{IPT_TEXT} sessions"}, "status": activity_status}}
    if encounters:
        sessions["outcomeReference"] = [ref(encounter) for encounter in encounters]
    period = {"start": instant(course.created_at)}
    if course.ended_at is not None:
        period["end"] = instant(course.ended_at)
    resource = {
        "resourceType": "CarePlan",
        "id": str(course.pk),
        "status": status,
        "intent": "plan",
        "category": [{"text": IPT_TEXT}],
        "title": f"{course.get_format_display()}: {course.get_status_display().lower()}",
        "description": f"{course.planned_sessions} sessions planned.",
        "subject": ref(patient),
        "period": period,
        "author": ref(practitioner),
        "activity": [*activities, sessions],
    }
    if goals:
        resource["goal"] = [ref(goal) for goal in goals]
    return resource


@dataclass
class Record:
    """The resources of one patient's record, in bundle order (Patient first)."""

    patient: dict
    resources: list[dict] = field(default_factory=list)

    def add(self, resource: dict) -> dict:
        self.resources.append(resource)
        return resource


def _areas_visible_to(user: User, course: TreatmentCourse) -> list[ProblemArea]:
    """The patient meets the problem areas with the formulation (as on their course page)."""
    if user.is_patient and not formulations_for(user, course).exists():
        return []
    return list(problem_areas_for(user, course))


def patient_record(user: User, team: CareTeam) -> Record:
    """Everything of this care team's record that ``user`` may see, as FHIR resources.

    ``team`` must come from ``care_teams_for(user)``; the courses are fetched for ``user`` again.
    """
    patient = patient_resource(team)
    record = Record(patient, [patient])
    practitioner = record.add(practitioner_resource(team.therapist))
    courses = list(courses_for(user).filter(care_team=team).order_by("created_at"))
    appointments = list(appointments_for(user).filter(patient=team.patient))
    appointment_of = {a.encounter_id: str(a.pk) for a in appointments if a.encounter_id is not None}
    for course in courses:
        status = CARE_PLAN_STATUS[CourseStatus(course.status)]
        areas = _areas_visible_to(user, course)
        goals = [record.add(goal_resource(area, patient, status)) for area in areas]
        encounter_rows = Encounter.objects.filter(course=course, course__in=courses_for(user)).only(
            "id", "course_id", "number", "starts_at", "status"
        )
        encounters = [
            record.add(encounter_resource(row, patient, practitioner, appointment_of.get(row.pk)))
            for row in encounter_rows
        ]
        record.add(care_plan_resource(course, patient, practitioner, goals, areas, encounters))
    for resource in measures.questionnaire_resources(user, courses, patient):
        record.add(resource)
    for appointment in appointments:
        record.add(appointment_resource(appointment, patient, practitioner))
    # ``team`` came from the user's care teams: its patient's signatures are theirs to see.
    for signature in ConsentSignature.objects.filter(patient=team.patient).select_related("document"):
        record.add(consent_resource(signature, patient))
    return record


def searchset(base_url: str, resources: list[dict], *, matches: int = 1) -> dict:
    """A searchset Bundle; the first ``matches`` resources matched, the rest were included."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": matches,
        "entry": [
            {
                "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match" if index < matches else "include"},
            }
            for index, resource in enumerate(resources)
        ],
    }


def operation_outcome(code: str, message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }
