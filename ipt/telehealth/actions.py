"""The waiting room and the call: admit, end, waiting, chat. Keyword-only, actor first, one
transaction, one audit event each (never with chat text in its detail); the open sockets hear
about it after commit (``ipt.telehealth.events``).
"""

import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipt.accounts.models import Role, User
from ipt.audit.actions import record
from ipt.care.models import CourseStatus
from ipt.scheduling.access import is_member
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth import events
from ipt.telehealth.models import ChatMessage
from ipt.telehealth.readiness import missing_before_joining
from ipt.visits.actions import SESSION_PHASES, create_encounter

CHAT_MAX_CHARS = 2000
MISSING_WORDS = {"consent": "signed the telehealth consent", "location": "confirmed where they are"}


def call_window(appointment: Appointment) -> tuple[datetime, datetime]:
    """When the waiting room and the call are open around the scheduled time."""
    return (
        appointment.start - timedelta(minutes=settings.IPT_CALL_OPENS_MINUTES_BEFORE),
        appointment.end + timedelta(minutes=settings.IPT_CALL_CLOSES_MINUTES_AFTER),
    )


def call_window_open(appointment: Appointment, now: datetime | None = None) -> bool:
    opens, closes = call_window(appointment)
    return opens <= (now or timezone.now()) <= closes


def _require_appointment_therapist(actor: User, appointment: Appointment) -> None:
    if actor.role != Role.THERAPIST or actor.pk != appointment.therapist_id:
        raise PermissionDenied("Only the appointment's therapist can do this.")


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("therapist", "patient", "course")
        .get(pk=appointment.pk)
    )


def _why_no_session(appointment: Appointment) -> str | None:
    course = appointment.course
    if course is None:
        return (
            "This appointment is not linked to a treatment course, so no session can be opened for it. "
            "Link it to the patient's course first."
        )
    if course.status not in SESSION_PHASES:
        return (
            f"The treatment course is in the {CourseStatus(course.status).label.lower()} stage; sessions "
            "are held only in the initial, middle, termination or maintenance phase."
        )
    return None


def admit_patient(*, actor: User, appointment: Appointment, request=None) -> Appointment:
    """Let the waiting patient into the call: booked -> arrived, and the session's Encounter opens.

    A second click (the appointment is already arrived) returns it unchanged.
    """
    _require_appointment_therapist(actor, appointment)
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status == AppointmentStatus.ARRIVED:
            return appointment
        if appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError(
                f"Only a booked appointment can be admitted; this one is "
                f"{AppointmentStatus(appointment.status).label.lower()}."
            )
        if not call_window_open(appointment):
            raise ValidationError(
                f"The session can be started from {settings.IPT_CALL_OPENS_MINUTES_BEFORE} minutes before "
                f"its start until {settings.IPT_CALL_CLOSES_MINUTES_AFTER} minutes after its end."
            )
        missing = missing_before_joining(appointment)
        if missing:
            raise ValidationError(
                "The patient has not yet " + " and ".join(MISSING_WORDS.get(m, m) for m in missing) + "."
            )
        reason = _why_no_session(appointment)
        if reason:
            raise ValidationError(reason)
        assert appointment.course is not None
        encounter = create_encounter(actor=actor, course=appointment.course, request=request)
        appointment.status = AppointmentStatus.ARRIVED
        appointment.arrived_at = timezone.now()
        appointment.waiting_since = None
        appointment.encounter = encounter
        appointment.save(update_fields=["status", "arrived_at", "waiting_since", "encounter"])
        record(
            actor=actor,
            action="appointment.admit",
            target=appointment,
            patient=appointment.patient,
            request=request,
            detail={"encounter": str(encounter.pk)},
        )
        transaction.on_commit(partial(events.patient_admitted, appointment))
    return appointment


def end_session(*, actor: User, appointment: Appointment, request=None) -> Appointment:
    """The therapist ends the call: arrived -> fulfilled; both pages leave (therapist to the note)."""
    _require_appointment_therapist(actor, appointment)
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status == AppointmentStatus.FULFILLED:
            return appointment
        if appointment.status != AppointmentStatus.ARRIVED:
            raise ValidationError("Only a session in progress can be ended.")
        appointment.status = AppointmentStatus.FULFILLED
        appointment.fulfilled_at = timezone.now()
        appointment.save(update_fields=["status", "fulfilled_at"])
        record(
            actor=actor,
            action="appointment.fulfil",
            target=appointment,
            patient=appointment.patient,
            request=request,
        )
        transaction.on_commit(partial(events.session_ended, appointment))
    return appointment


def set_waiting(appointment: Appointment, waiting: bool) -> bool:
    """The patient's waiting-room socket opened (True) or closed (False); tells the lobby.

    Only a booked appointment waits. Returns whether anything changed.
    """
    with transaction.atomic():
        appointment = _locked(appointment)
        if waiting:
            if appointment.status != AppointmentStatus.BOOKED:
                return False
            appointment.waiting_since = timezone.now()
        else:
            if appointment.waiting_since is None:
                return False
            appointment.waiting_since = None
        appointment.save(update_fields=["waiting_since"])
        record(
            actor=appointment.patient,
            action="appointment.waiting" if waiting else "appointment.left_waiting_room",
            target=appointment,
            patient=appointment.patient,
        )
        announce = events.patient_arrived if waiting else events.patient_left
        transaction.on_commit(partial(announce, appointment))
    return True


def post_chat_message(*, sender: User, appointment: Appointment, client_id, body: str) -> ChatMessage:
    """Store a chat message of the session and send it to both members (idempotent per client_id)."""
    return store_chat_message(sender=sender, appointment=appointment, client_id=client_id, body=body)[0]


def store_chat_message(
    *, sender: User, appointment: Appointment, client_id, body: str
) -> tuple[ChatMessage, bool]:
    """As post_chat_message, and whether it is new (a resend returns the stored message, unsent)."""
    if not is_member(sender, appointment):
        raise PermissionDenied("Only the two people in this session can write in its chat.")
    try:
        client_uuid = uuid.UUID(str(client_id))
    except ValueError:
        raise ValidationError("The message has no valid client id.") from None
    text = (body or "").strip()
    if not text:
        raise ValidationError("Write a message before sending it.")
    if len(text) > CHAT_MAX_CHARS:
        raise ValidationError(f"A message can be at most {CHAT_MAX_CHARS} characters long.")
    current = Appointment.objects.filter(pk=appointment.pk).values("status", "encounter_id").first()
    if current is None or current["status"] != AppointmentStatus.ARRIVED or current["encounter_id"] is None:
        raise ValidationError("The chat is open only while the session is in progress.")
    encounter_id = current["encounter_id"]
    stored = _sent_before(sender, client_uuid, encounter_id)
    if stored is not None:
        return stored, False
    try:
        with transaction.atomic():
            message = ChatMessage.objects.create(
                encounter_id=encounter_id, sender=sender, client_id=client_uuid, body=text
            )
            record(
                actor=sender,
                action="chat.send",
                target=message,
                patient=appointment.patient,
                detail={"encounter": str(encounter_id), "appointment": str(appointment.pk)},
            )
            transaction.on_commit(partial(events.chat_posted, message, appointment))
    except IntegrityError:
        # The same message arrived twice at the same moment (two sockets): the other one stored it.
        stored = _sent_before(sender, client_uuid, encounter_id)
        if stored is None:
            raise
        return stored, False
    return message, True


def _sent_before(sender: User, client_id: uuid.UUID, encounter_id) -> ChatMessage | None:
    stored = ChatMessage.objects.select_related("sender").filter(sender=sender, client_id=client_id).first()
    if stored is not None and stored.encounter_id != encounter_id:
        raise ValidationError("This message id was already used in another session.")
    return stored


def chat_messages_after(appointment: Appointment, after: int, reader: User) -> list[ChatMessage]:
    """The session's chat after message ``after`` (a reconnecting page), audited as a read."""
    if not is_member(reader, appointment) or appointment.encounter_id is None:
        return []
    messages = list(
        ChatMessage.objects.select_related("sender")
        .filter(encounter_id=appointment.encounter_id, id__gt=after)
        .order_by("id")
    )
    if messages:
        record(
            actor=reader,
            action="chat.read",
            target=appointment,
            patient=appointment.patient,
            detail={"after": after, "count": len(messages)},
        )
    return messages
