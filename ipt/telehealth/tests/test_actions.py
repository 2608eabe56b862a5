"""Admitting, ending, waiting and chat: who may, when, what changes, what is audited."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth import actions
from ipt.telehealth.models import ChatMessage, ConsentDocument, ConsentSignature, LocationCheck
from ipt.visits.models import Encounter
from ipt.visits.tests.conftest import make_course

pytestmark = pytest.mark.django_db


# Shared by the telehealth websocket tests too.


def sign_consent(patient) -> None:
    document, _created = ConsentDocument.objects.get_or_create(
        version=1,
        defaults={
            "title": "Telehealth consent",
            "body": "Sessions happen over video.",
            "published_at": timezone.now() - timedelta(days=1),
        },
    )
    ConsentSignature.objects.get_or_create(document=document, patient=patient, defaults={"typed_name": "P"})


def confirm_location(appointment) -> None:
    LocationCheck.objects.create(
        appointment=appointment,
        country="IE",
        region="IE-D",
        emergency_address="1 Main Street, Dublin",
        is_private=True,
        callback_number="+353 1 234 5678",
    )


def make_appointment(
    therapist,
    patient,
    *,
    course="middle",
    status=AppointmentStatus.BOOKED,
    starts_in=timedelta(minutes=5),
    ready=True,
    care_team=None,
) -> Appointment:
    """An appointment of the pair starting ``starts_in`` from now (50 minutes long)."""
    treatment = make_course(care_team, course) if course is not None and care_team is not None else None
    start = timezone.now() + starts_in
    appointment = Appointment.objects.create(
        therapist=therapist,
        patient=patient,
        course=treatment,
        start=start,
        end=start + timedelta(minutes=50),
        status=status,
        created_by=therapist,
    )
    if ready:
        sign_consent(patient)
        confirm_location(appointment)
    return appointment


def appointment_of(personas, **options) -> Appointment:
    return make_appointment(personas.therapist, personas.patient, care_team=personas.care_team, **options)


def admitted(personas, **options) -> Appointment:
    appointment = appointment_of(personas, **options)
    return actions.admit_patient(actor=personas.therapist, appointment=appointment)


def audit_actions(appointment=None) -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# The call window


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(minutes=-15, seconds=-1), False),
        (timedelta(minutes=-15), True),
        (timedelta(0), True),
        (timedelta(minutes=50 + 60), True),
        (timedelta(minutes=50 + 60, seconds=1), False),
    ],
)
def test_the_call_window_opens_15_minutes_before_and_closes_an_hour_after(personas, offset, expected):
    appointment = appointment_of(personas, ready=False)
    assert actions.call_window_open(appointment, now=appointment.start + offset) is expected


def test_the_call_window_follows_the_settings(personas, settings):
    settings.IPT_CALL_OPENS_MINUTES_BEFORE = 5
    appointment = appointment_of(personas, ready=False)
    assert not actions.call_window_open(appointment, now=appointment.start - timedelta(minutes=6))


# Admitting


def test_the_therapist_admits_a_ready_patient_and_the_session_opens(personas):
    appointment = appointment_of(personas)
    Appointment.objects.filter(pk=appointment.pk).update(waiting_since=timezone.now())
    result = actions.admit_patient(actor=personas.therapist, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED
    assert appointment.arrived_at is not None and appointment.waiting_since is None
    assert appointment.encounter is not None and appointment.encounter.course == appointment.course
    assert result.encounter == appointment.encounter
    assert "appointment.admit" in audit_actions() and "encounter.create" in audit_actions()
    admit = AuditEvent.objects.get(action="appointment.admit")
    assert admit.patient == personas.patient and admit.object_id == str(appointment.pk)


def test_a_double_click_on_admit_opens_one_session(personas):
    appointment = appointment_of(personas)
    first = actions.admit_patient(actor=personas.therapist, appointment=appointment)
    second = actions.admit_patient(actor=personas.therapist, appointment=appointment)
    assert first.encounter == second.encounter
    assert Encounter.objects.filter(course=appointment.course).count() == 1
    assert audit_actions().count("appointment.admit") == 1


@pytest.mark.parametrize("who", ["patient", "other_therapist", "supervisor", "admin"])
def test_only_the_appointments_therapist_can_admit(personas, who):
    appointment = appointment_of(personas)
    with pytest.raises(PermissionDenied):
        actions.admit_patient(actor=getattr(personas, who), appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and appointment.encounter is None


def test_admitting_without_a_course_says_so(personas):
    appointment = appointment_of(personas, course=None)
    with pytest.raises(ValidationError, match="not linked to a treatment course"):
        actions.admit_patient(actor=personas.therapist, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("phase", [CourseStatus.INTAKE, CourseStatus.COMPLETED, CourseStatus.DISCONTINUED])
def test_admitting_outside_a_session_phase_says_so(personas, phase):
    appointment = appointment_of(personas, course=phase)
    with pytest.raises(ValidationError, match="sessions are held only in"):
        actions.admit_patient(actor=personas.therapist, appointment=appointment)
    assert not Encounter.objects.exists()


def test_a_patient_who_has_not_consented_or_located_cannot_be_admitted(personas):
    appointment = appointment_of(personas, ready=False)
    with pytest.raises(ValidationError, match="signed the telehealth consent and confirmed where they are"):
        actions.admit_patient(actor=personas.therapist, appointment=appointment)
    sign_consent(personas.patient)
    with pytest.raises(ValidationError, match="confirmed where they are"):
        actions.admit_patient(actor=personas.therapist, appointment=appointment)
    confirm_location(appointment)
    assert actions.admit_patient(actor=personas.therapist, appointment=appointment).status == "arrived"


def test_admitting_outside_the_call_window_is_refused(personas):
    appointment = appointment_of(personas, starts_in=timedelta(hours=2))
    with pytest.raises(ValidationError, match="15 minutes before"):
        actions.admit_patient(actor=personas.therapist, appointment=appointment)
    assert not Encounter.objects.exists()


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.FULFILLED, "noshow"])
def test_only_a_booked_appointment_can_be_admitted(personas, status):
    appointment = appointment_of(personas, status=status)
    with pytest.raises(ValidationError, match="Only a booked appointment"):
        actions.admit_patient(actor=personas.therapist, appointment=appointment)


def test_admitting_broadcasts_only_after_commit(personas, django_capture_on_commit_callbacks):
    appointment = appointment_of(personas)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.admit_patient(actor=personas.therapist, appointment=appointment)
    assert [c.func.__name__ for c in callbacks] == ["patient_admitted"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.admit_patient(actor=personas.therapist, appointment=appointment)
    assert callbacks == [], "a second click announces nothing"


# Ending


def test_the_therapist_ends_the_session_and_the_appointment_is_fulfilled(personas):
    appointment = admitted(personas)
    actions.end_session(actor=personas.therapist, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.FULFILLED and appointment.fulfilled_at is not None
    assert "appointment.fulfil" in audit_actions()


@pytest.mark.parametrize("who", ["patient", "other_therapist", "supervisor"])
def test_only_the_therapist_ends_the_session(personas, who):
    appointment = admitted(personas)
    with pytest.raises(PermissionDenied):
        actions.end_session(actor=getattr(personas, who), appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED


def test_a_session_that_has_not_started_cannot_be_ended(personas):
    appointment = appointment_of(personas)
    with pytest.raises(ValidationError, match="in progress"):
        actions.end_session(actor=personas.therapist, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


# Waiting


def test_waiting_sets_and_clears_waiting_since_with_an_audit_row_each(personas):
    appointment = appointment_of(personas)
    assert actions.set_waiting(appointment, True)
    appointment.refresh_from_db()
    assert appointment.waiting_since is not None
    assert actions.set_waiting(appointment, False)
    assert not actions.set_waiting(appointment, False), "nothing to clear"
    appointment.refresh_from_db()
    assert appointment.waiting_since is None
    assert audit_actions() == ["appointment.waiting", "appointment.left_waiting_room"]


def test_an_appointment_that_is_not_booked_does_not_wait(personas):
    appointment = admitted(personas)
    assert not actions.set_waiting(appointment, True)
    appointment.refresh_from_db()
    assert appointment.waiting_since is None


# Chat


def test_a_chat_message_is_stored_stripped_with_the_encounter_and_audited_without_its_body(personas):
    appointment = admitted(personas)
    message = actions.post_chat_message(
        sender=personas.patient,
        appointment=appointment,
        client_id=uuid.uuid4(),
        body="  SECRET-CHAT hello \n",
    )
    assert message.body == "SECRET-CHAT hello" and message.encounter == appointment.encounter
    event = AuditEvent.objects.get(action="chat.send")
    assert event.patient == personas.patient and event.actor == personas.patient
    assert "SECRET-CHAT" not in str(event.detail)


def test_a_resent_chat_message_is_stored_once(personas):
    appointment = admitted(personas)
    client_id = uuid.uuid4()
    first = actions.post_chat_message(
        sender=personas.therapist, appointment=appointment, client_id=client_id, body="Hi"
    )
    again = actions.post_chat_message(
        sender=personas.therapist, appointment=appointment, client_id=str(client_id), body="Hi"
    )
    assert first.pk == again.pk and ChatMessage.objects.count() == 1
    assert audit_actions().count("chat.send") == 1


def test_the_same_client_id_from_the_other_member_is_another_message(personas):
    appointment = admitted(personas)
    client_id = uuid.uuid4()
    actions.post_chat_message(
        sender=personas.therapist, appointment=appointment, client_id=client_id, body="a"
    )
    actions.post_chat_message(sender=personas.patient, appointment=appointment, client_id=client_id, body="b")
    assert ChatMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write a message"), ("   \n ", "Write a message"), ("x" * 2001, "at most 2000 characters")],
)
def test_an_empty_or_too_long_chat_message_is_refused(personas, body, message):
    appointment = admitted(personas)
    with pytest.raises(ValidationError, match=message):
        actions.post_chat_message(
            sender=personas.patient, appointment=appointment, client_id=uuid.uuid4(), body=body
        )
    assert not ChatMessage.objects.exists()


def test_a_chat_message_of_2000_characters_is_accepted(personas):
    appointment = admitted(personas)
    message = actions.post_chat_message(
        sender=personas.patient, appointment=appointment, client_id=uuid.uuid4(), body="x" * 2000
    )
    assert len(message.body) == 2000


@pytest.mark.parametrize("who", ["other_patient", "other_therapist", "supervisor", "admin"])
def test_only_the_two_members_can_chat(personas, who):
    appointment = admitted(personas)
    with pytest.raises(PermissionDenied):
        actions.post_chat_message(
            sender=getattr(personas, who), appointment=appointment, client_id=uuid.uuid4(), body="hello"
        )
    assert not ChatMessage.objects.exists()


def test_there_is_no_chat_before_admission_or_after_the_end(personas):
    appointment = appointment_of(personas)
    with pytest.raises(ValidationError, match="only while the session is in progress"):
        actions.post_chat_message(
            sender=personas.patient, appointment=appointment, client_id=uuid.uuid4(), body="hi"
        )
    appointment = actions.admit_patient(actor=personas.therapist, appointment=appointment)
    actions.end_session(actor=personas.therapist, appointment=appointment)
    with pytest.raises(ValidationError, match="only while the session is in progress"):
        actions.post_chat_message(
            sender=personas.patient, appointment=appointment, client_id=uuid.uuid4(), body="hi"
        )
    assert not ChatMessage.objects.exists()


def test_a_chat_message_needs_a_valid_client_id(personas):
    appointment = admitted(personas)
    with pytest.raises(ValidationError, match="client id"):
        actions.post_chat_message(
            sender=personas.patient, appointment=appointment, client_id="nope", body="hi"
        )
