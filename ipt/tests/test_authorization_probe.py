"""Authorization probe (quality target S1): every URL, API operation and websocket, as every persona.

Nothing here lists endpoints. Pages come from the URL resolver, API operations from the OpenAPI
schema and websockets from ``ipt.routing``, so a view is probed the day it is added. Path
parameters are filled by name: ``<x>_id`` gets the ids of the model it names (``course_id``: every
course, ``encounter_id``: every encounter ...; see ``ID_PARAMETER_MODELS``) plus a random UUID, so
a URL is tried with each team's rows in every combination, mismatched ones included (one team's
course with the other team's encounter); unknown names get every UUID primary key in the world,
string parameters get junk. Each target is read and written: GET, GET with hostile query
parameters, POST with junk form data, and for the API every method the schema lists plus POST,
with junk JSON.

Judged on the body, not the status: each care team has a treatment course with a row in every
course model, and their encrypted text holds secret markers of three classes (``MAY_SEE``):
SHARED (what the patient, their therapist and the therapist's supervisor see), STAFF (therapist
and supervisor, never the patient) and PRIVATE (psychotherapy notes: the course's therapist only,
and never through the API). A response (page, JSON or websocket frame) that carries a marker its
persona may not see fails, whatever its status. No response may be a 500. Positive controls make
sure the probe reaches the records at all: the therapist must meet every marker of their
patient's course somewhere, the patient every SHARED marker of their own.

A persona that may not write somewhere (anonymous or a password-only staff session on a page that
needs sign-in, a role the view does not declare, a URL naming a record of a care team the persona
is not on, a supervisor or patient on a staff page of a course, staff on a patient's ``my/`` page)
also sends a plausible payload that would pass validation (one per form its pages show, with the
form's hidden inputs and named button, so views that dispatch on an ``intent`` are reached), and
the database must not change. Junk alone must never change it, for anyone: a view must reject a
payload with no known field. The targets of one URL pattern are sent inside a savepoint and the
database compared once; only when it changed are they replayed one by one to name the writer.
``test_the_probe_fails_on_a_leak_a_write_and_a_server_error`` shows the probe can fail.
"""

import base64
import functools
import itertools
import json
import random
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode

import channels.db
import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django import forms
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.http import Http404, HttpResponse
from django.test import Client
from django.urls import URLResolver, get_resolver, include
from django.urls import path as url
from django.utils import timezone
from django.utils.regex_helper import normalize
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt import routing
from ipt.accounts import access, actions, sessions
from ipt.accounts.models import CareTeam, Role, User
from ipt.api import api
from ipt.asgi import application
from ipt.breakglass.models import BreakGlassGrant
from ipt.care import access as care_access
from ipt.care.models import (
    ClosenessSnapshot,
    ContactFrequency,
    CourseStatus,
    DisputeStage,
    DisputeStageChange,
    ExpectationsMet,
    Formulation,
    HomeworkTask,
    InventoryChange,
    InventoryPerson,
    LifeEventType,
    ProblemArea,
    ProblemAreaKind,
    ProblemAreaRank,
    Relation,
    StatusChange,
    TerminationReview,
    TimelineEvent,
    TreatmentContract,
    TreatmentCourse,
)
from ipt.conftest import PERSONA_NAMES, Personas, sign_in
from ipt.measures.models import MeasureAssignment, QuestionnaireResponse
from ipt.messaging.access import threads_for
from ipt.messaging.models import Attachment, Message, Thread
from ipt.practice.models import (
    DiaryEntry,
    DiaryInteraction,
    Feeling,
    LessonAssignment,
    RolePlayScenario,
    RolePlaySession,
    RolePlayTurn,
)
from ipt.safety.models import CrisisLine, RiskAlert, SafetyPlanVersion
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth.models import ChatMessage, LocationCheck
from ipt.tests.socket_deadline import run_with_deadline
from ipt.visits.models import Addendum, Encounter, NoteStatus, RiskLevel, SessionNote, Technique

# A staff member who typed the password but not yet the TOTP code: sees nothing clinical.
WITHOUT_MFA = "therapist_without_mfa"
PROBED_PERSONAS = [*PERSONA_NAMES, WITHOUT_MFA]

# Written out, not derived from access.py: this is the policy that access.py is checked against.
# The owners are the patient personas; each has a care team, a treatment course and its records.
OWNERS = ("patient", "other_patient")
# Who is on each care team: they may name its records in a URL (anyone else gets a 404).
TEAM_MEMBERS: dict[str, set[str]] = {
    "patient": {"patient", "therapist", "supervisor"},
    "other_patient": {"other_patient", "other_therapist"},
}
# Who writes the team's clinical records on the staff pages (the patient writes on ``my/`` pages).
TEAM_THERAPIST = {"patient": "therapist", "other_patient": "other_therapist"}

SHARED, STAFF, PRIVATE = "SHARED", "STAFF", "PRIVATE"
# Marker class -> owner -> the personas who may see that owner's markers of that class.
MAY_SEE: dict[str, dict[str, set[str]]] = {
    SHARED: {
        "patient": {"patient", "therapist", "supervisor"},
        "other_patient": {"other_patient", "other_therapist"},
    },
    STAFF: {"patient": {"therapist", "supervisor"}, "other_patient": {"other_therapist"}},
    PRIVATE: {"patient": {"therapist"}, "other_patient": {"other_therapist"}},
}
NEVER_IN_THE_API = {PRIVATE}  # psychotherapy notes are never exported, not even to the therapist
# Break-glass (S7): an active grant lets the one who opened it read that patient's emergency
# summary page, which shows what the patient shares with their team (the safety plan), never staff
# notes or psychotherapy notes. An expired grant, or another person's, shows nothing.
BREAK_GLASS_MAY_SEE = {SHARED}

# Positive controls: the probe must actually reach these records, or it proves nothing.
# Pages: every marker of these classes (that a page is expected to show) of the persona's team.
MUST_SEE_ON_PAGES: dict[str, set[str]] = {
    "therapist": {SHARED, STAFF, PRIVATE},
    "other_therapist": {SHARED, STAFF, PRIVATE},
    "supervisor": {SHARED, STAFF},  # reads the course without writing it
    "patient": {SHARED},
    "other_patient": {SHARED},
}
# The API (it carries fewer records): at least one marker of each class.
MUST_SEE_SOME_IN_THE_API: dict[str, set[str]] = {
    "therapist": {SHARED, STAFF},
    "supervisor": {SHARED, STAFF},
    "other_therapist": {SHARED, STAFF},
    "patient": {SHARED},
    "other_patient": {SHARED},
}

# Path parameters named after a model get that model's ids (and a random UUID).
ID_PARAMETER_MODELS: dict[str, type[models.Model]] = {
    "care_team_id": CareTeam,
    "course_id": TreatmentCourse,
    "user_id": User,
    "person_id": InventoryPerson,
    "area_id": ProblemArea,
    "encounter_id": Encounter,
    "task_id": HomeworkTask,
    "contract_id": TreatmentContract,
    "assignment_id": MeasureAssignment,
    "response_id": QuestionnaireResponse,
    "alert_id": RiskAlert,
    "line_id": CrisisLine,
    "appointment_id": Appointment,
    "session_id": RolePlaySession,
    "thread_id": Thread,
    "attachment_id": Attachment,
    "grant_id": BreakGlassGrant,
}

JUNK = "probe-junk-'<x>\""  # for parameters that take any text
PLAIN_JUNK = "probe-junk"  # for slugs
INT_VALUES = ["0", "2147483647"]
PROBE_EMAIL = "probe.intruder@example.test"
PROBE_TEXT = "Probe intruder wrote this 9431"  # also a valid password
FORM = "application/x-www-form-urlencoded"
JUNK_FORM = {"probe": JUNK, "email": JUNK, "role": JUNK, "role-role": JUNK, "otp_token": JUNK, "id": JUNK}
JUNK_JSON = {"probe": JUNK, "id": JUNK, "role": "admin", "is_active": "maybe", "referral_reason": 7}
# Values that pass the forms' own checks, where the field type says too little.
PLAUSIBLE_BY_NAME = {
    "icd10_codes": "F32.1",
    "planned_sessions": "16",  # within the range of every course format
    "sessions_planned": "16",
    "to_status": CourseStatus.TERMINATION.value,  # the courses are in the middle phase
}
# A GET answered with one of these is not tried again with a hostile query (nothing was read).
REFUSED = {302, 401, 403, 404, 405}
# A URL with several id parameters gets at most this many combinations (a seeded sample).
MAX_COMBINATIONS = 100
WS_GOOD_ORIGIN = b"http://testserver"
WS_QUIET_SECONDS = 0.1  # a socket that stays silent this long has said all it will say
WS_REFUSED_WIND_DOWN_SECONDS = 0.05
# Rows that requests may legitimately touch while changing nothing that matters.
# Reading a conversation moves the reader's own read mark (as signing in moves last_login); who
# may move it is tested in ipt/messaging/tests. A caseload's version number is the cache's, not
# data (its first view creates it; ipt/accounts/tests/test_caseload_cache.py). Sessions are
# sign-ins, not data (every request may move the last-seen time; signing out ends one).
SNAPSHOT_IGNORED_MODELS = {
    "audit.auditevent",
    "audit.audithead",
    "messaging.readstate",
    "accounts.caseloadversion",
    "accounts.session",
}
# Read marks, as the message read state: the patient's first look at an assigned lesson is recorded.
SNAPSHOT_IGNORED_FIELDS = {
    "accounts.user.last_login",
    "accounts.apitoken.last_used_at",
    "practice.lessonassignment.opened_at",
}


# The personas' world ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """A secret in one encrypted field of one team's records."""

    owner: str  # the patient persona whose record it is
    kind: str  # SHARED, STAFF or PRIVATE
    where: str  # which field holds it, for the report
    text: str
    on_pages: bool = True  # a page is expected to show it to those who may see it (positive control)

    @property
    def needles(self) -> tuple[str, ...]:
        """The whole marker, its tag and its words (when it has any), each a leak."""
        tag, _, words = self.text.partition(" ")
        return tuple(dict.fromkeys(needle for needle in (self.text, tag, words) if needle))

    def __str__(self) -> str:
        return f"{self.kind} marker of {self.owner} ({self.where})"


class Markers:
    """Every marker of the world, and a fast case-insensitive search for them in a response."""

    def __init__(self, markers: list[Marker]):
        self.all = markers
        self._by_needle: dict[str, Marker] = {}
        for marker in markers:
            for needle in marker.needles:
                assert needle.lower() not in self._by_needle, f"needle {needle!r} is not unique"
                self._by_needle[needle.lower()] = marker
        for needle, marker in self._by_needle.items():
            others = [m for m in markers if m is not marker and needle in m.text.lower()]
            assert not others, f"needle {needle!r} of {marker} also occurs in {others}"
        alternatives = sorted(self._by_needle, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(needle) for needle in alternatives))

    def found_in(self, text: str) -> set[Marker]:
        return {self._by_needle[match] for match in self._pattern.findall(text.lower())}


def _marker_text(owner: str, kind: str, where: str) -> str:
    return f"{kind}-{owner}-{where}"


def _build_course(personas: Personas, owner: str) -> tuple[list[Marker], dict[str, str]]:
    """A middle-phase course with a row in every course model; free text carries markers.

    Returns its markers and labels (id -> what it is, for the report) of the rows it made.
    """
    team = personas.care_team if owner == "patient" else personas.other_care_team
    therapist, patient = team.therapist, team.patient
    markers: list[Marker] = []
    labels: dict[str, str] = {}

    def secret(kind: str, where: str, on_pages: bool = True) -> str:
        marker = Marker(owner, kind, where, _marker_text(owner, kind, where), on_pages)
        markers.append(marker)
        return marker.text

    def neutral(where: str) -> str:
        return f"Neutral probe text ({where})."

    def label(row: models.Model, what: str) -> None:
        labels[str(row.pk)] = f"{what}:{owner}"

    now = timezone.now()
    course = TreatmentCourse.objects.create(
        care_team=team,
        status=CourseStatus.MIDDLE,
        planned_sessions=16,
        target_conditions=["depression"],
        icd10_codes="F32.1",
        medication=secret(STAFF, "course-medication"),
        prescriber_contact=neutral("prescriber"),
        created_at=now - timedelta(days=30),
    )
    label(course, "course")
    StatusChange.objects.create(
        course=course,
        from_status=CourseStatus.INITIAL,
        to_status=CourseStatus.MIDDLE,
        changed_by=therapist,
        reason=neutral("status change"),
    )
    person = InventoryPerson.objects.create(
        course=course,
        name=secret(SHARED, "person-name"),
        relation=Relation.PARTNER,
        contact_frequency=ContactFrequency.DAILY,
        satisfying=secret(SHARED, "person-satisfying"),
        unsatisfying=secret(SHARED, "person-unsatisfying"),
        expectations=secret(SHARED, "person-expectations"),
        expectations_met=ExpectationsMet.PARTLY,
        changes_wanted=secret(SHARED, "person-changes-wanted"),
        closeness_ring=1,
    )
    label(person, "person")
    InventoryChange.objects.create(
        person=person,
        changed_by=patient,
        kind="add",
        fields=["name"],
        after=json.dumps({"name": person.name}),
    )
    ClosenessSnapshot.objects.create(
        course=course,
        moment=ClosenessSnapshot.Moment.START,
        taken_by=therapist,
        # Not every page draws the start snapshot on its own: no positive control for it.
        people=json.dumps(
            [{"name": secret(SHARED, "snapshot-name", on_pages=False), "relation": "partner", "ring": 1}]
        ),
    )
    event = TimelineEvent.objects.create(
        course=course,
        occurred_on=date(2024, 3, 1),
        event_type=LifeEventType.CONFLICT,
        person=person,
        description=secret(SHARED, "timeline-description"),
        mood=4,
        symptom_change=neutral("symptom change"),
        created_by=patient,
    )
    label(event, "timeline_event")
    area = ProblemArea.objects.create(
        course=course,
        kind=ProblemAreaKind.ROLE_DISPUTE,
        rank=ProblemAreaRank.PRIMARY,
        person=person,
        goals=neutral("goals"),
        strategies=neutral("strategies"),
    )
    label(area, "problem_area")
    DisputeStageChange.objects.create(
        problem_area=area, stage=DisputeStage.RENEGOTIATION, noted_by=therapist, note=neutral("stage")
    )
    formulation = Formulation.objects.create(
        course=course,
        version=1,
        clinical_text=secret(STAFF, "formulation-clinical"),
        plain_text=secret(SHARED, "formulation-plain"),
        written_by=therapist,
        shared_at=now,
    )
    label(formulation, "formulation")
    draft_formulation = Formulation.objects.create(  # a revision, not shared yet: the staff's only
        course=course,
        version=2,
        clinical_text=secret(STAFF, "draft-formulation-clinical"),
        plain_text=secret(STAFF, "unshared-formulation-plain"),
        written_by=therapist,
    )
    label(draft_formulation, "formulation-unshared")
    contract = TreatmentContract.objects.create(
        course=course,
        version=1,
        sessions_planned=16,
        schedule=neutral("schedule"),
        goals=neutral("contract goals"),
        missed_session_policy=neutral("missed sessions"),
        drafted_by=therapist,
        therapist_signed_name=f"{therapist.first_name} {therapist.last_name}",
        therapist_signed_at=now,  # the patient has yet to sign: a junk post must not sign for them
    )
    label(contract, "contract")
    notes = {}
    for number, status in ((1, NoteStatus.SIGNED), (2, NoteStatus.DRAFT)):
        state = status.value
        encounter = Encounter.objects.create(
            course=course,
            number=number,
            phase=CourseStatus.MIDDLE,
            starts_at=now - timedelta(days=14 - 7 * number),
            created_by=therapist,
        )
        label(encounter, f"encounter-{state}")
        signed = status == NoteStatus.SIGNED
        note = SessionNote.objects.create(
            encounter=encounter,
            status=status,
            mood_since_last=neutral("mood"),
            mood_rating=5,
            interpersonal_events=neutral("events"),
            problem_area_focus=area,
            techniques=[Technique.CLARIFICATION],
            problem_area_work=secret(STAFF, f"{state}-note-work"),
            homework_review=neutral("homework review"),
            work_at_home=neutral("work at home"),
            risk_level=RiskLevel.NONE,
            risk_review=secret(STAFF, f"{state}-note-risk"),
            plan=secret(STAFF, f"{state}-note-plan"),
            # A draft's summary is not the patient's yet.
            shared_summary=secret(SHARED if signed else STAFF, f"{state}-note-summary"),
            private_notes=secret(PRIVATE, f"{state}-note-private"),
            signed_at=now if signed else None,
            signed_by=therapist if signed else None,
        )
        note.people.add(person)
        label(note, f"note-{state}")
        notes[status] = note
    Addendum.objects.create(note=notes[NoteStatus.SIGNED], text=neutral("addendum"), written_by=therapist)
    task = HomeworkTask.objects.create(
        course=course, agreed_in=notes[NoteStatus.SIGNED], description=secret(SHARED, "homework-description")
    )
    label(task, "homework")
    TerminationReview.objects.create(
        course=course,
        gains=secret(STAFF, "unshared-termination-gains"),  # not shared yet: staff only
        warning_signs=neutral("warning signs"),
        plan=neutral("relapse plan"),
        shared_at=None,
    )
    assignment = MeasureAssignment.objects.create(
        course=course, instrument="phq9", schedule="before_every_session", created_by=therapist
    )
    label(assignment, "measure-assignment")
    for status, answers in (("completed", [1, 1, 1, 1, 1, 1, 1, 1, 1]), ("in_progress", [2, 2])):
        response = QuestionnaireResponse.objects.create(
            course=course, instrument="phq9", assignment=assignment, status=status, answers=answers
        )
        label(response, f"questionnaire-response-{status}")
    alert = RiskAlert.objects.create(
        course=course,
        reason="suicidal_ideation",
        source="probe",
        status="acknowledged",
        acknowledged_by=therapist,
        acknowledged_at=now,
        follow_up=secret(STAFF, "alert-follow-up"),
    )
    label(alert, "risk-alert")
    plan = SafetyPlanVersion.objects.create(
        course=course,
        version=1,
        warning_signs=secret(SHARED, "safety-plan-warning-signs"),
        reasons_for_living=neutral("reasons for living"),
        written_by=patient,
    )
    label(plan, "safety-plan")
    _build_appointments(course, therapist, patient, secret, label)
    _build_practice(course, therapist, person, secret, label)
    _build_messages(team, patient, secret, label)
    return markers, labels


def _build_messages(team, patient, secret, label) -> None:
    """A conversation of the care team with a message and an attachment (plain text)."""
    thread = Thread.objects.create(
        care_team=team, subject=secret(SHARED, "message-subject"), started_by=patient
    )
    label(thread, "message-thread")
    message = Message.objects.create(
        thread=thread, sender=patient, client_id=uuid.uuid4(), body=secret(SHARED, "message-body")
    )
    attachment = Attachment.objects.create(
        message=message,
        file_name=secret(SHARED, "attachment-name") + ".txt",
        content_type="text/plain",
        size=40,
        content_base64=base64.b64encode(secret(SHARED, "attachment-content").encode()).decode(),
    )
    label(attachment, "message-attachment")


def _build_practice(course, therapist, person, secret, label) -> None:
    """The patient's diary (yesterday, one interaction with an inventory person) and a lesson."""
    entry = DiaryEntry.objects.create(
        course=course,
        day=timezone.localdate() - timedelta(days=1),
        mood=4,
        note=secret(SHARED, "diary-note", on_pages=False),
    )
    label(entry, "diary-entry")
    DiaryInteraction.objects.create(
        entry=entry,
        person=person,
        what_happened=secret(SHARED, "diary-what-happened"),
        feeling=Feeling.BAD,
    )
    lesson = LessonAssignment.objects.create(
        course=course,
        lesson="communication-skills",
        assigned_by=therapist,
        note=secret(SHARED, "lesson-note"),
    )
    label(lesson, "lesson-assignment")
    scenario = RolePlayScenario.objects.create(
        course=course,
        title="Probe scenario",
        problem_area="role_dispute",
        other_person=person,
        situation=secret(SHARED, "roleplay-situation", on_pages=False),
        likely_reactions=secret(SHARED, "roleplay-reactions", on_pages=False),
        patient_goal=secret(SHARED, "roleplay-goal", on_pages=False),
        created_by=therapist,
    )
    label(scenario, "roleplay-scenario")
    session = RolePlaySession.objects.create(course=course, scenario=scenario)
    label(session, "roleplay-session")
    RolePlayTurn.objects.create(
        session=session, number=1, speaker="patient", text=secret(SHARED, "roleplay-turn"), features=[]
    )


def _build_appointments(course, therapist, patient, secret, label) -> None:
    """One appointment of each kind the telehealth pages treat differently, in the call window."""
    now = timezone.now()
    common = {"therapist": therapist, "patient": patient, "course": course, "created_by": therapist}
    booked = Appointment.objects.create(
        **common, start=now + timedelta(minutes=5), end=now + timedelta(minutes=55)
    )
    label(booked, "appointment-booked")
    # The patient typed these: theirs and their care team's (shown to staff at the call).
    LocationCheck.objects.create(
        appointment=booked,
        country="GB",
        region="GB-ENG",
        emergency_address=secret(SHARED, "location-address", on_pages=False),
        is_private=True,
        callback_number=secret(SHARED, "location-callback", on_pages=False),
    )
    encounter = Encounter.objects.create(
        course=course,
        number=3,
        phase=CourseStatus.MIDDLE,
        starts_at=now - timedelta(minutes=70),
        created_by=therapist,
    )
    SessionNote.objects.create(encounter=encounter)
    arrived = Appointment.objects.create(
        **common,
        start=now - timedelta(minutes=70),
        end=now - timedelta(minutes=20),
        status=AppointmentStatus.ARRIVED,
        arrived_at=now - timedelta(minutes=68),
        encounter=encounter,
    )
    label(arrived, "appointment-arrived")
    ChatMessage.objects.create(
        encounter=encounter,
        sender=patient,
        client_id=uuid.uuid4(),
        body=secret(SHARED, "chat", on_pages=False),
    )
    cancelled = Appointment.objects.create(
        **common,
        start=now + timedelta(days=2),
        end=now + timedelta(days=2, minutes=50),
        status=AppointmentStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by=patient,
        cancellation_reason=secret(SHARED, "cancellation-reason", on_pages=False),
    )
    label(cancelled, "appointment-cancelled")


def _referral_marker(team: CareTeam, owner: str) -> Marker:
    return Marker(owner, STAFF, "referral-reason", team.referral_reason)


@dataclass
class World:
    personas: Personas
    random_id: str
    uuid_pool: list[str]
    ids_by_model: dict[type[models.Model], list[str]]
    owner_of: dict[str, str]  # id of a team's record (the team, its course and their rows) -> owner
    markers: Markers
    tokens: dict[str, str]
    labels: dict[str, str]
    plausible_form: dict[str, str]
    # Active break-glass grants: id -> (the persona who opened it, the owner whose summary it opens).
    break_glass: dict[str, tuple[str, str]] = field(default_factory=dict)

    def user(self, persona: str) -> User | None:
        return self.personas.therapist if persona == WITHOUT_MFA else self.personas.get(persona)

    def is_signed_in(self, persona: str) -> bool:
        return self.user(persona) is not None and persona != WITHOUT_MFA

    @functools.cached_property
    def form_extras(self) -> dict[str, list[dict[str, str]]]:
        return form_extras(self)

    def ids_for(self, name: str) -> list[str]:
        """The values to try for a UUID path parameter: the ids of the model it names, or all."""
        model = ID_PARAMETER_MODELS.get(name)
        if model is None:
            return self.uuid_pool
        return [*self.ids_by_model.get(model, []), self.random_id]

    def teams_of(self, persona: str) -> set[str]:
        return {owner for owner in OWNERS if persona in TEAM_MEMBERS[owner]}

    def forbidden_ids(self, persona: str) -> set[str]:
        """Ids of every record of the care teams this persona is not on."""
        mine = self.teams_of(persona)
        return {pk for pk, owner in self.owner_of.items() if owner not in mine}

    def forbidden_team_ids(self, persona: str) -> list[str]:
        return sorted(
            pk for pk in self.forbidden_ids(persona) if self.labels.get(pk, "").startswith("care_team:")
        )

    def forbidden_course_ids(self, persona: str) -> list[str]:
        return sorted(
            pk for pk in self.forbidden_ids(persona) if self.labels.get(pk, "").startswith("course:")
        )

    def may_see(self, persona: str, marker: Marker, in_api: bool) -> bool:
        if in_api and marker.kind in NEVER_IN_THE_API:
            return False
        return persona in MAY_SEE[marker.kind][marker.owner]

    def may_see_under_grant(self, persona: str, marker: Marker, target: "Target", in_api: bool) -> bool:
        """The emergency summary of an active grant, to the one who opened it (S7)."""
        grant = target.values.get("grant_id", "")
        return (
            not in_api
            and target.path == f"/emergency-access/{grant}/"
            and self.break_glass.get(grant) == (persona, marker.owner)
            and marker.kind in BREAK_GLASS_MAY_SEE
        )

    def label(self, values: dict[str, str]) -> str:
        return ", ".join(f"{name}={self.labels.get(value, value)}" for name, value in values.items())


def _uuid_primary_keys() -> Iterator[tuple[type[models.Model], str]]:
    for model in apps.get_models():
        if isinstance(model._meta.pk, models.UUIDField):
            for pk in model._base_manager.values_list("pk", flat=True):
                yield model, str(pk)


@pytest.fixture
def world(personas) -> World:
    # An open staff invitation and a token per persona, so those tables hold rows to protect.
    actions.invite_staff(
        actor=personas.admin,
        email="invited.therapist@example.test",
        first_name="Ivy",
        last_name="Invited",
        role=Role.THERAPIST,
        supervisor=personas.supervisor,
    )
    tokens = {}
    for name in PERSONA_NAMES:
        user = personas.get(name)
        tokens[name] = actions.create_api_token(actor=None, user=user)[1] if user else "ipt_probe-junk-token"
    teams = {"patient": personas.care_team, "other_patient": personas.other_care_team}
    break_glass, break_glass_labels = _build_break_glass_grants(personas)
    markers, labels, owner_of = [], {}, {}
    for owner, team in teams.items():
        markers.append(_referral_marker(team, owner))
        course_markers, course_labels = _build_course(personas, owner)
        markers += course_markers
        labels |= course_labels | {str(team.pk): f"care_team:{owner}"}
        owner_of |= dict.fromkeys(course_labels, owner) | {str(team.pk): owner}
    ids_by_model: dict[type[models.Model], list[str]] = {}
    for model, pk in _uuid_primary_keys():
        ids_by_model.setdefault(model, []).append(pk)
        labels.setdefault(pk, f"{model._meta.model_name}:{pk}")
    for model in ids_by_model:  # any other row of a course belongs to the course's team
        if any(model_field.name == "course" for model_field in model._meta.concrete_fields):
            for pk, course_id in model._base_manager.values_list("pk", "course_id"):
                if str(course_id) in owner_of:
                    owner_of.setdefault(str(pk), owner_of[str(course_id)])
    for name in PERSONA_NAMES:
        user = personas.get(name)
        if user is not None:
            labels[str(user.pk)] = f"user:{name}"
    labels |= break_glass_labels
    random_id = str(uuid.uuid4())
    labels[random_id] = "random-uuid"
    return World(
        personas=personas,
        random_id=random_id,
        uuid_pool=[*sorted(pk for pks in ids_by_model.values() for pk in pks), random_id],
        ids_by_model={model: sorted(pks) for model, pks in ids_by_model.items()},
        owner_of=owner_of,
        markers=Markers(markers),
        tokens=tokens,
        labels=labels,
        plausible_form=_plausible_form(),
        break_glass=break_glass,
    )


def _build_break_glass_grants(personas: Personas) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """An active grant of other_therapist to the patient's summary, and an expired one of the
    supervisor to other_patient's (each opener is off that care team). Their ids are not in
    ``owner_of``: they name no team record, and the supervisor who reviews them is not a writer of
    the team's records."""
    now = timezone.now()
    active = BreakGlassGrant.objects.create(
        opened_by=personas.other_therapist,
        care_team=personas.care_team,
        reason="Neutral probe reason for an active grant.",
        opened_at=now,
        expires_at=now + timedelta(hours=1),
    )
    expired = BreakGlassGrant.objects.create(
        opened_by=personas.supervisor,
        care_team=personas.other_care_team,
        reason="Neutral probe reason for an expired grant.",
        opened_at=now - timedelta(hours=2),
        expires_at=now - timedelta(hours=1),
    )
    labels = {
        str(active.pk): "break-glass-active:other_therapist->patient",
        str(expired.pk): "break-glass-expired:supervisor->other_patient",
    }
    return {str(active.pk): ("other_therapist", "patient")}, labels


# Plausible payloads: what would pass validation if the authorization check were missing ---------


def _project_form_classes() -> Iterator[type[forms.BaseForm]]:
    seen: set[type] = set()
    stack = list(forms.BaseForm.__subclasses__())
    while stack:
        form_class = stack.pop()
        if form_class in seen:
            continue
        seen.add(form_class)
        stack.extend(form_class.__subclasses__())
        if form_class.__module__.startswith("ipt."):
            yield form_class


def _plausible_value(form_field: forms.Field) -> str:
    if isinstance(form_field, forms.ModelChoiceField):
        # Forms narrow an empty class-level queryset to the course's rows: take any row then.
        first = form_field.queryset.first() or form_field.queryset.model._base_manager.first()
        return str(first.pk) if first is not None else ""
    if isinstance(form_field, forms.ChoiceField):
        values = [str(value) for value, _ in form_field.choices if value not in ("", None)]
        return values[-1] if values else ""  # the last choice: "admin", "deactivated" ...
    if isinstance(form_field, forms.EmailField):
        return PROBE_EMAIL
    if isinstance(form_field, forms.BooleanField):
        return "on"
    if isinstance(form_field, forms.DateTimeField):
        return timezone.now().strftime("%Y-%m-%d %H:%M")
    if isinstance(form_field, forms.DateField):
        return date.today().isoformat()
    if isinstance(form_field, forms.IntegerField | forms.FloatField | forms.DecimalField):
        return "1"
    if isinstance(form_field, forms.RegexField):
        return next((c for c in ("123456", PROBE_TEXT) if form_field.regex.search(c)), PROBE_TEXT)
    return PROBE_TEXT


def _plausible_form() -> dict[str, str]:
    """One payload with a valid-looking value for every field of every project form.

    Forms shown with a prefix are guessed from their class name (RoleForm -> "role-role").
    """
    get_resolver().url_patterns  # noqa: B018  (imports every view, and so every form)
    payload: dict[str, str] = {}
    for form_class in sorted(_project_form_classes(), key=lambda cls: cls.__qualname__):
        prefix = form_class.__name__.removesuffix("Form").lower()
        for name, form_field in form_class.base_fields.items():
            value = PLAUSIBLE_BY_NAME.get(name) or _plausible_value(form_field)
            payload.setdefault(name, value)
            payload.setdefault(f"{prefix}-{name}", value)
    return payload


class _PostForms(HTMLParser):
    """What each POST form of a page sends besides its fields: hidden inputs and the named button
    pressed (``<input type="hidden" name="intent" value="edit">``, ``<button name="intent"
    value="share">``). One dict per form and button."""

    def __init__(self):
        super().__init__()
        self.found: set[tuple[tuple[str, str], ...]] = set()
        self._hidden: dict[str, str] | None = None  # inside a POST form
        self._buttons: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        kind, name = attributes.get("type", ""), attributes.get("name", "")
        if tag == "form":
            posts = attributes.get("method", "get").lower() == "post"
            self._hidden, self._buttons = ({} if posts else None), []
        elif self._hidden is None or not name or name == "csrfmiddlewaretoken":
            return
        elif tag == "input" and kind == "hidden":
            self._hidden[name] = attributes.get("value", "")
        elif (tag == "button" and kind in ("", "submit")) or (tag == "input" and kind == "submit"):
            self._buttons.append((name, attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._hidden is not None:
            for button in self._buttons or [None]:
                extra = self._hidden | (dict([button]) if button else {})
                self.found.add(tuple(sorted(extra.items())))
            self._hidden = None


def form_extras(world: World) -> dict[str, list[dict[str, str]]]:
    """URL pattern -> what its pages' POST forms send besides their fields (see ``_PostForms``).

    Views that do several things tell them apart by a hidden ``intent`` or the button pressed; a
    plausible payload without it would be refused for that reason alone, so a forbidden persona
    sends one per form. Read from the pages of the patient's records: the patient's own pages as
    the patient, the others as their therapist (hidden values such as ids and versions are this
    world's, so this is done once per world).
    """
    found: dict[str, set[tuple[tuple[str, str], ...]]] = {}
    clients = {persona: Probe(world, persona).client for persona in ("therapist", "patient")}
    for target in page_targets(world):
        values = set(target.values.values())
        if values and not all(world.owner_of.get(value) == "patient" for value in values):
            continue
        client = clients["patient" if _is_patients_own_page(target.path) else "therapist"]
        parser = _PostForms()
        parser.feed(client.get(target.path).content.decode("utf-8", errors="replace"))
        found.setdefault(target.group, set()).update(parser.found)
    return {group: [dict(extra) for extra in sorted(extras)] for group, extras in found.items()}


def _plausible_json(schema: dict | None, components: dict, depth: int = 0) -> Any:
    """A value that matches a JSON schema (as far as simple types go)."""
    if not schema or depth > 6:
        return PROBE_TEXT
    if "$ref" in schema:
        return _plausible_json(components[schema["$ref"].rsplit("/", 1)[-1]], components, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        options = [option for option in schema.get(key, []) if option.get("type") != "null"]
        if options:
            return _plausible_json(options[0], components, depth + 1)
    if "enum" in schema:
        return schema["enum"][-1]
    kind, formats = schema.get("type"), schema.get("format")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _plausible_json(sub, components, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        return [_plausible_json(schema.get("items"), components, depth + 1)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return False
    return {
        "email": PROBE_EMAIL,
        "uuid": str(uuid.uuid4()),
        "date-time": timezone.now().isoformat(),
        "date": date.today().isoformat(),
    }.get(formats, PROBE_TEXT)


# What must never change -----------------------------------------------------------------------


def _snapshot_models() -> Iterator[tuple[type[models.Model], list[models.Field]]]:
    for model in apps.get_models(include_auto_created=True):  # many-to-many tables too
        label = model._meta.label_lower
        if model._meta.app_config.name.startswith("ipt.") and label not in SNAPSHOT_IGNORED_MODELS:
            fields = [
                f for f in model._meta.concrete_fields if f"{label}.{f.name}" not in SNAPSHOT_IGNORED_FIELDS
            ]
            yield model, fields
    yield TOTPDevice, [TOTPDevice._meta.get_field(name) for name in ("id", "user", "key", "confirmed")]


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every project table (audit aside) and the MFA devices: users with their role,
    active flag and password hash, care teams, invitations, API tokens, courses and their records,
    session notes, and whatever apps add."""
    state = {}
    for model, fields in _snapshot_models():
        rows = model._base_manager.order_by("pk")
        state[model._meta.label] = [tuple(f.value_from_object(row) for f in fields) for row in rows]
    return state


def _changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# Discovering targets --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    path: str  # ready for the test client (percent-encoded)
    values: dict[str, str] = field(default_factory=dict)  # each path parameter as filled in
    view: Any = None
    group: str = ""  # the URL pattern it fills in (targets of one pattern are probed together)


# Text parameters that can name something of the world's: the page behind them is probed too, not
# only the 404 that junk gets (the diary day with an entry, the assigned lesson, the measure charted).
REAL_TEXT = {
    "day": lambda: [(timezone.localdate() - timedelta(days=1)).isoformat()],
    "lesson": lambda: ["communication-skills"],
    "code": lambda: ["phq9"],
}


def _value_classes(world: World, name: str) -> list[list[str]]:
    """What to try, most specific first: text params get junk (and what they can name in the
    world), UUID params the ids they name."""
    real = REAL_TEXT[name]() if name in REAL_TEXT else []
    return [[JUNK, *real], [PLAIN_JUNK, *real], world.ids_for(name), INT_VALUES]


def _fill(template: str, names: list[str], matches: Callable[[str], bool], world: World) -> list[dict]:
    """Every way (up to MAX_COMBINATIONS) to fill the template's parameters so the pattern matches."""
    if not names:
        return [{}]
    for classes in itertools.product(*(_value_classes(world, name) for name in names)):
        if matches(template % {name: values[0] for name, values in zip(names, classes, strict=True)}):
            break
    else:
        raise AssertionError(f"The probe cannot fill the parameters of {template!r}; teach it how.")
    return _combinations(names, classes, world.random_id)


def _combinations(names: list[str], candidates: Iterable[list[str]], missing: str) -> list[dict]:
    """Every combination of the candidates, but a missing (random) id only in the last parameter:
    with a missing parent (a course) the view answers 404 before it looks at the child."""
    combinations = [values for values in itertools.product(*candidates) if missing not in values[:-1]]
    if len(combinations) > MAX_COMBINATIONS:
        combinations = random.Random(0).sample(combinations, MAX_COMBINATIONS)
    return [dict(zip(names, values, strict=True)) for values in combinations]


def _concrete(pattern_chain: Iterable, world: World) -> list[dict]:
    """For a chain of URL patterns (resolver prefixes, then the endpoint): {path, values} dicts."""
    results = [{"path": "", "values": {}}]
    for pattern in pattern_chain:
        template, names = normalize(pattern.regex.pattern)[0]

        def matches(text: str, regex=pattern.regex) -> bool:
            found = regex.match(text)
            return found is not None and found.end() == len(text)

        fillings = _fill(template, names, matches, world)
        results = [
            {"path": done["path"] + template % filling, "values": {**done["values"], **filling}}
            for done in results
            for filling in fillings
        ]
    return results


def _walk(patterns, chain=(), in_api=False) -> Iterator[tuple[tuple, Any, bool]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inside_api = in_api or entry.namespace == api.urls_namespace
            yield from _walk(entry.url_patterns, (*chain, entry.pattern), inside_api)
        else:
            yield (*chain, entry.pattern), entry.callback, in_api


def _is_static(path: str) -> bool:
    prefixes = [str(url or "").strip("/") for url in (settings.STATIC_URL, settings.MEDIA_URL)]
    return any(prefix and f"{path.strip('/')}/".startswith(f"{prefix}/") for prefix in prefixes)


def page_targets(world: World) -> list[Target]:
    """Every URL pattern but the JSON API's (probed from its schema) and static files."""
    targets = []
    for chain, view, in_api in _walk(get_resolver().url_patterns):
        if in_api:
            continue
        for concrete in _concrete(chain, world):
            if not _is_static(concrete["path"]):
                group = "".join(str(pattern) for pattern in chain)
                targets.append(Target("/" + quote(concrete["path"]), concrete["values"], view, group))
    return targets


@dataclass(frozen=True)
class Operation:
    target: Target
    methods: tuple[str, ...]
    public: bool
    request_bodies: dict[str, Any]  # method -> plausible JSON body


def api_operations(world: World) -> list[Operation]:
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for template, path_item in schema["paths"].items():
        listed = {method for method in path_item if method in ("get", "post", "put", "patch", "delete")}
        methods = tuple(sorted(listed | {"get", "post"}))
        public = not any(operation.get("security") for operation in path_item.values())
        bodies = {}
        for method in listed:
            content = path_item[method].get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema")
            if body_schema:
                bodies[method] = _plausible_json(body_schema, components)
        names = re.findall(r"{(\w+)}", template)
        percent_template = re.sub(r"{(\w+)}", r"%(\1)s", template.replace("%", "%%"))
        for filling in _fill_api(percent_template, names, path_item, world):
            path = percent_template % filling
            operations.append(
                Operation(Target(quote(path), filling, group=template), methods, public, bodies)
            )
    return operations


def _fill_api(template: str, names: list[str], path_item: dict, world: World) -> list[dict]:
    parameters = {
        parameter["name"]: parameter.get("schema", {})
        for operation in path_item.values()
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "path"
    }
    per_name = []
    for name in names:
        declared = parameters.get(name, {})
        if declared.get("format") == "uuid":
            per_name.append(world.ids_for(name))
        elif declared.get("type") == "integer":
            per_name.append(INT_VALUES)
        else:
            per_name.append([JUNK])
    return _combinations(names, per_name, world.random_id)


def api_extra_targets(world: World) -> list[Target]:
    """Views inside the API include that are not operations (schema, docs, root)."""
    operation_paths = {re.sub(r"{\w+}", "{}", path) for path in api.get_openapi_schema()["paths"]}
    targets = []
    for chain, view, in_api in _walk(get_resolver().url_patterns):
        if not in_api:
            continue
        for concrete in _concrete(chain, world):
            path = "/" + concrete["path"]
            shape = path
            for value in concrete["values"].values():
                shape = shape.replace(value, "{}")
            if shape not in operation_paths:
                targets.append(Target(quote(path), concrete["values"], view))
    return targets


def websocket_targets(world: World) -> list[Target]:
    def walk(routes, chain=()) -> Iterator[tuple]:
        for route in routes:
            if isinstance(route.callback, URLRouter):
                yield from walk(route.callback.routes, (*chain, route.pattern))
            else:
                yield (*chain, route.pattern), route.callback

    targets = []
    for chain, consumer in walk(routing.websocket_urlpatterns):
        for concrete in _concrete(chain, world):
            targets.append(Target("/" + quote(concrete["path"]), concrete["values"], consumer))
    return targets


# Who is allowed where -------------------------------------------------------------------------


def _names_forbidden_team(world: World, persona: str, values: dict[str, str]) -> bool:
    """The values name a record (care team, course, or a row of the course) of a team the persona
    is not on."""
    return bool(world.forbidden_ids(persona) & set(values.values()))


def _is_patients_own_page(path: str) -> bool:
    """The patient's pages about their own course (``my/...``): no one else writes there."""
    return path.startswith("/my/")


def _may_not_write_the_named_records(world: World, persona: str, target: Target) -> bool:
    """On a patient's own page only a patient writes; on a staff page naming a team's records, only
    that team's therapist (the supervisor reads, the patient writes on their ``my/`` pages); on an
    appointment's pages its patient and therapist."""
    user = world.user(persona)
    if _is_patients_own_page(target.path):
        return user is None or user.role != Role.PATIENT
    owners = {world.owner_of[value] for value in target.values.values() if value in world.owner_of}
    if _is_appointment_page(target.path):
        return any(persona not in (TEAM_THERAPIST[owner], owner) for owner in owners)
    return any(TEAM_THERAPIST[owner] != persona for owner in owners)


def _is_appointment_page(path: str) -> bool:
    """An appointment's or a conversation's pages: its two members act there (cancel, reschedule,
    join, the call; write and mark read)."""
    return path.startswith(("/appointments/", "/messages/"))


def page_is_forbidden(world: World, persona: str, target: Target) -> bool:
    """Whether this persona has no business writing here (so a plausible payload must fail)."""
    if _names_forbidden_team(world, persona, target.values):
        return True
    if _may_not_write_the_named_records(world, persona, target):
        return True
    if getattr(target.view, "login_required", True) is False:
        return False  # public: sign-in pages, password reset, invitations, crisis help
    if not world.is_signed_in(persona):
        return True
    roles = getattr(target.view, "allowed_roles", None)
    return roles is not None and world.user(persona).role not in roles


def operation_is_forbidden(world: World, persona: str, operation: Operation, transport: str) -> bool:
    if _names_forbidden_team(world, persona, operation.target.values):
        return True
    if operation.public:
        return False
    return persona == "anonymous" or (transport == "session" and persona == WITHOUT_MFA)


def websocket_expectation(world: World, persona: str, target: Target, transport: str) -> bool | None:
    """True/False when the rules say whether this connection is accepted; None when they do not."""
    user = world.user(persona)
    if user is None or (persona == WITHOUT_MFA and transport == "session"):
        return False
    if {world.random_id, JUNK, PLAIN_JUNK} & set(target.values.values()):
        return False
    if "care_team_id" in target.values:
        visible = {str(team.pk) for team in access.care_teams_for(user)}
        return target.values["care_team_id"] in visible
    if "thread_id" in target.values:
        return target.values["thread_id"] in {str(thread.pk) for thread in threads_for(user)}
    if "appointment_id" in target.values:
        owner = world.owner_of.get(target.values["appointment_id"])
        if persona not in (owner, TEAM_THERAPIST.get(owner)):
            return False  # only the two members of an appointment meet in its rooms
    return None


# The probe ------------------------------------------------------------------------------------


class Probe:
    """One persona's client: checks every response and keeps the persona signed in."""

    def __init__(self, world: World, persona: str, transport: str = "session", in_api: bool = False):
        self.world, self.persona, self.transport, self.in_api = world, persona, transport, in_api
        self.problems: list[str] = []  # leaks and writes
        self.server_errors: list[str] = []
        self.seen: set[Marker] = set()
        self.requests = 0
        self.client = self.new_client()

    def new_client(self) -> Client:
        user = self.world.user(self.persona)
        if self.transport == "bearer":
            token = self.world.tokens["anonymous" if user is None else self.persona]
            return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token}"})
        client = Client(raise_request_exception=False)
        if self.persona == WITHOUT_MFA:
            client.force_login(user, backend="ipt.accounts.backends.UserBackend")
            session = client.session
            sessions.start(session)
            session.save()
        else:
            sign_in(client, user)
        self.session_key = self._session_key(client)
        return client

    @staticmethod
    def _session_key(client: Client) -> str | None:
        cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
        return cookie.value if cookie is not None else None

    def send(self, method: str, target: Target, note: str = "", query: dict | None = None, **kwargs) -> int:
        """Send one request, judge the response and return its status."""
        path = f"{target.path}?{urlencode(query)}" if query else target.path
        response = self.client.generic(method.upper(), path, **kwargs)
        self.requests += 1
        where = f"{self.persona} ({self.transport}) {method.upper()} {target.path} {note}".rstrip()
        if target.values:
            where += f" [{self.world.label(target.values)}]"
        if response.status_code == 500:
            self.server_errors.append(f"{where}: server error 500")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace") + str(response.headers)
        markers = self.world.markers.found_in(text)
        self.seen |= markers
        for marker in sorted(markers, key=str):
            if not self.world.may_see(
                self.persona, marker, self.in_api
            ) and not self.world.may_see_under_grant(self.persona, marker, target, self.in_api):
                self.problems.append(f"{where}: status {response.status_code}, body carries the {marker}")
        self._stay_signed_in()
        return response.status_code

    def _stay_signed_in(self) -> None:
        """A probe may sign itself out (POST /logout/); sign in again so the rest is still probed."""
        signed_in = self.transport == "session" and self.world.user(self.persona) is not None
        if signed_in and self._session_key(self.client) != self.session_key:
            self.client = self.new_client()

    @functools.cached_property
    def own_name(self) -> dict[str, str]:
        """Signatures must carry the signer's own name: an intruder signs with theirs."""
        user = self.world.user(self.persona)
        return {"full_name": f"{user.first_name} {user.last_name}"} if user is not None else {}

    @functools.cached_property
    def hostile_query(self) -> dict[str, str]:
        """Sort, filter and id parameters aimed at records this persona may not see."""
        world = self.world
        team = (world.forbidden_team_ids(self.persona) or [world.random_id])[0]
        course = (world.forbidden_course_ids(self.persona) or [world.random_id])[0]
        teams = {str(t.pk): t for t in (world.personas.care_team, world.personas.other_care_team)}
        patient = str(teams[team].patient_id) if team in teams else world.random_id
        query = {"ordering": "referral_reason", "sort": "-private_notes", "order_by": "referral_reason"}
        query |= {"q": "SECRET-REFERRAL", "search": "PRIVATE", "page": "-1", "since": JUNK, "version": "0"}
        return query | {"care_team": team, "care_team_id": team, "patient": patient, "course": course}


def probe_pages(world: World, persona: str, targets: list[Target] | None = None) -> Probe:
    probe = Probe(world, persona)
    extras = world.form_extras

    def send(target: Target) -> None:
        if probe.send("get", target) not in REFUSED:
            probe.send("get", target, "with hostile query", query=probe.hostile_query)
        probe.send("post", target, "junk", data=urlencode(JUNK_FORM), content_type=FORM)
        if page_is_forbidden(world, persona, target):
            for extra in extras.get(target.group) or [{}]:
                payload = urlencode(world.plausible_form | probe.own_name | extra)
                note = f"plausible {urlencode(extra)}".rstrip()
                probe.send("post", target, note, data=payload, content_type=FORM)

    _probe_in_groups(probe, page_targets(world) if targets is None else targets, send)
    return probe


def _probe_in_groups(probe: Probe, targets: list[Target], send: Callable[[Target], None]) -> None:
    """Send to each target, checking that the database did not change.

    A snapshot per target is slow, so the targets of one URL pattern are sent together inside a
    savepoint and compared once. If something changed, the savepoint is rolled back and the group
    sent again, target by target, to name the one that wrote.
    """
    before = snapshot()
    for _, grouped in itertools.groupby(targets, key=lambda target: target.group):
        group = list(grouped)
        problems, server_errors = len(probe.problems), len(probe.server_errors)
        with transaction.atomic():
            for target in group:
                send(target)
            after = snapshot()
            changed = after != before
            if changed:
                transaction.set_rollback(True)
        if not changed:
            before = after
            continue
        del probe.problems[problems:], probe.server_errors[server_errors:]
        probe.client = probe.new_client()  # its session may have been rolled back
        for target in group:
            send(target)
            before = _check_unchanged(probe, before, target)


def _check_unchanged(probe: Probe, before: dict, target: Target) -> dict:
    after = snapshot()
    changed = _changed_tables(before, after)
    if changed:
        probe.problems.append(
            f"{probe.persona} ({probe.transport}) junk or forbidden writes to {target.path} "
            f"[{probe.world.label(target.values)}] changed {', '.join(changed)}"
        )
    return after


def probe_api(world: World, persona: str, transport: str) -> Probe:
    probe = Probe(world, persona, transport, in_api=True)
    operations = {operation.target.path: operation for operation in api_operations(world)}

    def send(target: Target) -> None:
        operation = operations.get(target.path)
        if operation is None:  # not an operation: the schema, the docs
            probe.send("get", target)
            probe.send("post", target, "junk", data=json.dumps(JUNK_JSON), content_type="application/json")
            return
        for method in operation.methods:
            if method == "get":
                if probe.send("get", target) not in REFUSED:
                    probe.send("get", target, "with hostile query", query=probe.hostile_query)
                continue
            probe.send(method, target, "junk", data=json.dumps(JUNK_JSON), content_type="application/json")
            body = operation.request_bodies.get(method)
            if body is not None and operation_is_forbidden(world, persona, operation, transport):
                probe.send(
                    method, target, "plausible", data=json.dumps(body), content_type="application/json"
                )

    targets = [operation.target for operation in operations.values()]
    _probe_in_groups(probe, [*targets, *api_extra_targets(world)], send)
    return probe


@dataclass
class SocketResult:
    target: Target
    transport: str
    accepted: bool
    close_code: Any
    frames: list[str]


async def _open_socket(target: Target, headers: list[tuple[bytes, bytes]]) -> SocketResult:
    communicator = WebsocketCommunicator(application, target.path, headers=headers)
    accepted, detail = await communicator.connect()
    frames = []
    try:
        if accepted:
            await communicator.send_json_to({"type": "ping", "id": 1})
            await communicator.send_to(text_data=json.dumps({"type": "probe", "care_team_id": JUNK}))
            while not await communicator.receive_nothing(timeout=WS_QUIET_SECONDS, interval=0.005):
                message = await communicator.receive_output()
                frames.append(json.dumps(message, default=str))
                if message["type"] == "websocket.close":
                    break
    finally:
        # A refused socket is already closed; do not wait the default second for it to wind down.
        await communicator.disconnect(timeout=1 if accepted else WS_REFUSED_WIND_DOWN_SECONDS)
    return SocketResult(target, "", accepted, None if accepted else detail, frames)


def _socket_headers(world: World, persona: str, transport: str, origin: bytes) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", origin)]
    if transport == "bearer":
        token = world.tokens["anonymous" if world.user(persona) is None else persona]
        headers.append((b"authorization", f"Bearer {token}".encode()))
    elif world.user(persona) is not None:
        key = Probe(world, persona).session_key
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
    return headers


def open_sockets(
    world: World, persona: str, transport: str, targets: list[Target], origin: bytes = WS_GOOD_ORIGIN
) -> list[SocketResult]:
    headers = _socket_headers(world, persona, transport, origin)

    async def run_all() -> list[SocketResult]:
        return [await _open_socket(target, headers) for target in targets]

    results = run_with_deadline(run_all, what=f"{persona} ({transport}) sockets")
    for result in results:
        result.transport = transport
    return results


# Tests ----------------------------------------------------------------------------------------


def _report(problems: list[str], limit: int = 40) -> str:
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:limit]) + more


def _assert_clean(probe: Probe) -> None:
    """Leaks and writes first: a 500 is bad, a leak is worse."""
    assert not (probe.problems or probe.server_errors), _report(probe.problems + probe.server_errors)


def _never_seen(world: World, probe: Probe, *, every: set[str], some: set[str]) -> list[str]:
    """Positive controls: markers (of the ``every`` classes) and classes (``some``) this persona
    may see but never met in any response."""
    visible = [m for m in world.markers.all if world.may_see(probe.persona, m, probe.in_api)]
    missing = [str(m) for m in visible if m.kind in every and m.on_pages and m not in probe.seen]
    seen_kinds = {m.kind for m in probe.seen}
    missing += [f"any {kind} marker" for kind in sorted(some - seen_kinds)]
    return missing


@pytest.mark.parametrize("persona", PROBED_PERSONAS)
def test_no_page_leaks_errs_or_writes_for(world, persona):
    probe = probe_pages(world, persona)
    assert probe.requests > 0
    _assert_clean(probe)
    missing = _never_seen(world, probe, every=MUST_SEE_ON_PAGES.get(persona, set()), some=set())
    assert not missing, (
        f"{persona} never met these on any page (not signed in, the page is not reached, or it does "
        f"not show them): " + "; ".join(missing)
    )


@pytest.mark.parametrize("persona", PROBED_PERSONAS)
def test_no_api_operation_leaks_errs_or_writes_for(world, persona):
    transports = ["session"] if persona == WITHOUT_MFA else ["session", "bearer"]
    for transport in transports:
        probe = probe_api(world, persona, transport)
        _assert_clean(probe)
        missing = _never_seen(world, probe, every=set(), some=MUST_SEE_SOME_IN_THE_API.get(persona, set()))
        assert not missing, f"{persona} ({transport}) never met {missing} through the API"


@pytest.fixture
def sockets_in_the_test_transaction(monkeypatch):
    """Let consumers read the personas' world without committing it (a flush costs seconds).

    The probe opens sockets through async_to_sync from the test's thread, so the consumers'
    thread-sensitive database calls run on this thread's connection, inside the test's
    transaction. Channels' database_sync_to_async would first close that connection (on
    PostgreSQL) because it is inside a transaction; only that closing is switched off here.
    """
    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


websocket_db = pytest.mark.usefixtures("sockets_in_the_test_transaction")


@websocket_db
@pytest.mark.parametrize("persona", PROBED_PERSONAS)
def test_websockets_admit_only_whom_the_rules_allow(world, persona):
    targets = websocket_targets(world)
    transports = ["session"] if persona == WITHOUT_MFA else ["session", "bearer"]
    problems = []
    for transport in transports:
        for result in open_sockets(world, persona, transport, targets):
            where = f"{persona} ({transport}) WS {result.target.path} [{world.label(result.target.values)}]"
            expected = websocket_expectation(world, persona, result.target, transport)
            if expected is not None and result.accepted != expected:
                verdict = "accepted" if result.accepted else f"refused ({result.close_code})"
                problems.append(f"{where}: {verdict}, the rules say {'accept' if expected else 'refuse'}")
            for marker in sorted(world.markers.found_in("".join(result.frames)), key=str):
                if not world.may_see(persona, marker, in_api=False):
                    problems.append(f"{where}: a frame carries the {marker}")
    assert not problems, _report(problems)


# A few facts stated outright, so that the rules above cannot drift along with a broken access.py.


def test_care_teams_for_and_courses_for_follow_the_team_policy(world):
    for persona in PERSONA_NAMES:
        user = world.user(persona)
        if user is None:
            continue
        teams = {world.owner_of[str(team.pk)] for team in access.care_teams_for(user)}
        courses = {world.owner_of[str(course.pk)] for course in care_access.courses_for(user)}
        assert teams == courses == world.teams_of(persona), f"{persona}: teams {teams}, courses {courses}"


def test_the_marker_policy_is_the_one_written_in_the_brief(world):
    """SHARED: the team; STAFF: the team but its patient; PRIVATE: the team's therapist only."""
    for owner in OWNERS:
        assert MAY_SEE[SHARED][owner] == TEAM_MEMBERS[owner]
        assert MAY_SEE[STAFF][owner] == TEAM_MEMBERS[owner] - {owner}
        assert MAY_SEE[PRIVATE][owner] == {TEAM_THERAPIST[owner]}
    kinds = {(m.owner, m.kind) for m in world.markers.all}
    assert kinds == {(owner, kind) for owner in OWNERS for kind in MAY_SEE}


def _owners(world: World, text: str) -> set[str]:
    return {marker.owner for marker in world.markers.found_in(text)}


def test_admin_cannot_read_any_patient_page(world):
    probe = Probe(world, "admin")
    for team in (world.personas.care_team, world.personas.other_care_team):
        for path in (f"/patients/{team.pk}/", f"/api/v1/patients/{team.pk}"):
            response = probe.client.get(path)
            assert response.status_code in (403, 404), path
            assert not _owners(world, response.content.decode())


def test_patient_cannot_reach_the_user_list_or_another_patients_record(world):
    client = Probe(world, "patient").client
    assert client.get("/users/").status_code == 403
    other = world.personas.other_care_team.pk
    for path in (f"/patients/{other}/", f"/api/v1/patients/{other}"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert not _owners(world, response.content.decode())


def test_a_therapist_reads_their_own_patient_but_not_another(world):
    client = Probe(world, "therapist").client
    own = client.get(f"/patients/{world.personas.care_team.pk}/")
    assert own.status_code == 200 and _owners(world, own.content.decode()) == {"patient"}
    other = client.get(f"/patients/{world.personas.other_care_team.pk}/")
    assert other.status_code == 404 and not _owners(world, other.content.decode())


def test_anonymous_and_password_only_staff_are_sent_to_sign_in_steps(world):
    path = f"/patients/{world.personas.care_team.pk}/"
    for persona, step in (("anonymous", "/login/"), (WITHOUT_MFA, "/mfa/verify/")):
        response = Probe(world, persona).client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(step), persona


def test_a_break_glass_grant_serves_the_one_who_opened_it_and_only_while_it_lasts(world):
    """S7 in the probe's world: the active grant's summary shows the patient's safety plan to
    other_therapist alone; the expired grant shows nothing, to its own opener (the supervisor)
    included; no other persona gets anything from either."""
    [active] = world.break_glass
    [expired] = [pk for pk, label in world.labels.items() if label.startswith("break-glass-expired")]
    plan = next(
        m for m in world.markers.all if (m.owner, m.where) == ("patient", "safety-plan-warning-signs")
    )
    for persona in PROBED_PERSONAS:
        for grant in (active, expired):
            response = Probe(world, persona).client.get(f"/emergency-access/{grant}/")
            found = world.markers.found_in(response.content.decode())
            where = f"{persona} {world.labels[grant]}"
            if (persona, grant) == ("other_therapist", active):
                assert response.status_code == 200 and plan in found, where
                assert {(m.owner, m.kind) for m in found} <= {
                    ("patient", kind) for kind in BREAK_GLASS_MAY_SEE
                }
            else:
                assert response.status_code in (302, 403, 404, 410), where
                assert not found, where
    assert Probe(world, "supervisor").client.get(f"/emergency-access/{expired}/").status_code == 410


@websocket_db
def test_presence_sockets_follow_the_care_team(world):
    own = Target(f"/ws/care-teams/{world.personas.care_team.pk}/presence/")
    other = Target(f"/ws/care-teams/{world.personas.other_care_team.pk}/presence/")
    notifications = Target("/ws/notifications/")
    accepted = {
        persona: [r.accepted for r in open_sockets(world, persona, "session", [own, other, notifications])]
        for persona in PERSONA_NAMES
    }
    assert accepted == {
        "therapist": [True, False, True],
        "other_therapist": [False, True, True],
        "patient": [True, False, True],
        "other_patient": [False, True, True],
        "supervisor": [True, False, True],
        "admin": [False, False, True],
        "anonymous": [False, False, False],
    }


@websocket_db
def test_a_socket_from_an_unknown_origin_is_refused(world):
    target = Target(f"/ws/care-teams/{world.personas.care_team.pk}/presence/")
    [result] = open_sockets(world, "therapist", "session", [target], origin=b"https://evil.example")
    assert not result.accepted


# The probe can fail: a URL map of broken views, probed as the patient. -------------------------


def _view_without_access_check(request, course_id):
    """Reads any course by id (no get_course_for), shows the psychotherapy notes, and writes on
    any POST."""
    course = TreatmentCourse.objects.filter(pk=course_id).first()
    if course is None:
        raise Http404
    if request.method == "POST":
        HomeworkTask.objects.create(course=course, description="written from a junk form")
    notes = SessionNote.objects.filter(encounter__course=course)
    return HttpResponse(" ".join(note.private_notes for note in notes))


def _view_that_crashes(request):
    raise RuntimeError("probe self-test")


urlpatterns = [  # the project's, and two broken views (only in the test below)
    url("leaky/<uuid:course_id>/", _view_without_access_check),
    url("crash/", _view_that_crashes),
    url("", include("ipt.urls")),
]


def test_the_probe_fails_on_a_leak_a_write_and_a_server_error(world, settings):
    settings.ROOT_URLCONF = __name__
    broken = [target for target in page_targets(world) if target.path.startswith(("/leaky/", "/crash/"))]
    probe = probe_pages(world, "patient", broken)
    other_course = world.forbidden_course_ids("patient")[0]
    leaks = "\n".join(problem for problem in probe.problems if "body carries" in problem)
    assert f"GET /leaky/{other_course}/ [course_id=course:other_patient]" in leaks
    assert "PRIVATE marker of other_patient (signed-note-private)" in leaks
    assert "PRIVATE marker of patient (draft-note-private)" in leaks  # their own, still not theirs
    writes = [problem for problem in probe.problems if "changed care.HomeworkTask" in problem]
    assert any(f"/leaky/{other_course}/" in write for write in writes), probe.problems
    assert probe.server_errors == [
        "patient (session) GET /crash/: server error 500",
        "patient (session) GET /crash/ with hostile query: server error 500",
        "patient (session) POST /crash/ junk: server error 500",
    ]
