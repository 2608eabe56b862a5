"""Every change to appointments: keyword-only, actor first, one transaction, audited.

No double booking, ever. Inside the booking transaction the overlap (with the buffer) is checked
again against the therapist's live appointments:
- on PostgreSQL the therapist's TherapistProfile row is locked first (``select_for_update``), so
  bookings for one therapist queue; the exclusion constraint ``appointment_no_overlap`` is the
  last guard, and its IntegrityError becomes SlotTaken;
- on SQLite every write transaction is IMMEDIATE, so they run one at a time already; a lock that
  waited past the timeout becomes CalendarBusy (a clean refusal, never a server error).
Notifications (emails, reminders) go out after commit.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from ipt.accounts.access import care_teams_for
from ipt.accounts.models import Role, User
from ipt.audit.actions import record
from ipt.care.access import current_course_of_patient
from ipt.care.models import TreatmentCourse
from ipt.scheduling import notifications
from ipt.scheduling.access import profile_of, therapists_bookable_by
from ipt.scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus, TherapistProfile
from ipt.scheduling.slots import candidate_slots, local_to_utc, overlaps, rules_of, zone_of

SERIES_MAX = 16
SLOT_TAKEN_MESSAGE = "That time has just been taken. Please choose another."
# Statuses an appointment can be cancelled or moved from (an arrived one is in session).
CHANGEABLE_STATUSES = (AppointmentStatus.PROPOSED, AppointmentStatus.BOOKED)


class SlotTaken(ValidationError):
    """Another appointment holds (part of) that time."""

    def __init__(self, message: str = SLOT_TAKEN_MESSAGE) -> None:
        super().__init__(message)


class CalendarBusy(ValidationError):
    """The database stayed locked by other bookings past the timeout (SQLite): nothing changed."""

    def __init__(self) -> None:
        super().__init__("The calendar is busy just now. Nothing was booked; please try again.")


def _now(now: datetime | None = None) -> datetime:
    return (now or timezone.now()).astimezone(UTC)


def _instant(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise ValidationError("Give the time with its time zone.")
    return value.astimezone(UTC)


def _local(value: datetime, user: User) -> str:
    return date_format(value.astimezone(zone_of(user)), "D j M Y, H:i")


def _profile(therapist: User) -> TherapistProfile:
    try:
        return profile_of(therapist)
    except OperationalError as error:
        raise CalendarBusy() from error


@contextmanager
def _calendar_of(profile: TherapistProfile) -> Iterator[None]:
    """One transaction that holds the therapist's calendar: bookings for them run one at a time."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                TherapistProfile.objects.select_for_update().filter(pk=profile.pk).exists()
            yield
    except IntegrityError as error:
        if "appointment_no_overlap" in str(error):
            raise SlotTaken() from error
        raise
    except OperationalError as error:
        if "locked" in str(error).lower() or "busy" in str(error).lower():
            raise CalendarBusy() from error
        raise


def _conflicts(
    therapist: User, start: datetime, end: datetime, buffer: timedelta, ignoring: Appointment | None = None
) -> list[Appointment]:
    live = Appointment.objects.filter(
        therapist=therapist, status__in=LIVE_STATUSES, start__lt=end + buffer, end__gt=start - buffer
    )
    if ignoring is not None:
        live = live.exclude(pk=ignoring.pk)
    return [each for each in live if overlaps(start, end, each, buffer)]


def _on_commit(function: Any, *args: Any) -> None:
    transaction.on_commit(lambda: function(*args))


# -- Who may book what -------------------------------------------------------------------------


def _resolve_booking(
    actor: User, therapist: User, patient: User, course: TreatmentCourse | None
) -> TreatmentCourse | None:
    """Check the actor may book this therapist and patient; return the appointment's course."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("Sign in to book.")
    if not patient.is_active or patient.role != Role.PATIENT:
        raise ValidationError("Appointments are booked for an active patient.")
    if actor.role == Role.PATIENT:
        if patient.pk != actor.pk:
            raise PermissionDenied("A patient can only book for themself.")
        if not therapists_bookable_by(actor).filter(pk=therapist.pk).exists():
            raise PermissionDenied("You can only book with your own therapist.")
        current = current_course_of_patient(actor)
        if current is not None and current.care_team.therapist_id != therapist.pk:
            current = None
        if course is not None and (current is None or course.pk != current.pk):
            raise ValidationError("You can only book for your current course.")
        return current
    if actor.role == Role.THERAPIST:
        if therapist.pk != actor.pk:
            raise PermissionDenied("A therapist books in their own calendar only.")
        if not care_teams_for(actor).filter(patient=patient).exists():
            raise PermissionDenied("You can only book for a patient in your caseload.")
        if course is not None:
            team = course.care_team
            if team.therapist_id != actor.pk or team.patient_id != patient.pk:
                raise ValidationError("That course is not this patient's course with you.")
            return course
        return (
            TreatmentCourse.objects.filter(care_team__therapist=actor, care_team__patient=patient)
            .order_by("-created_at")
            .first()
        )
    raise PermissionDenied("Only a patient or their therapist can book appointments.")


def _check_patient_slot(therapist: User, profile: TherapistProfile, start: datetime, now: datetime) -> None:
    """A patient books the exact start of one of the therapist's slots, within notice and horizon."""
    earliest = now + timedelta(hours=profile.minimum_notice_hours)
    latest = now + timedelta(days=profile.booking_horizon_days)
    if start < now:
        raise ValidationError("That time has passed. Please choose another.")
    if start < earliest:
        raise ValidationError(
            f"Appointments must be booked at least {profile.minimum_notice_hours} hours ahead."
        )
    if start > latest:
        raise ValidationError(
            f"Appointments can be booked at most {profile.booking_horizon_days} days ahead."
        )
    grid = candidate_slots(therapist, start, start + timedelta(seconds=1), profile=profile)
    if not any(slot.start == start for slot in grid):
        raise ValidationError("That is not one of your therapist's open times. Please choose a listed time.")


def _check_time(
    actor: User, therapist: User, profile: TherapistProfile, start: datetime, now: datetime
) -> None:
    """Patients: an open slot's start within notice and horizon; therapists: not in the past."""
    if actor.role == Role.PATIENT:
        _check_patient_slot(therapist, profile, start, now)
    elif start < now:
        raise ValidationError("That time has passed. Please choose another.")


def _check_free(
    therapist: User,
    profile: TherapistProfile,
    start: datetime,
    ignoring: Appointment | None = None,
) -> datetime:
    end = start + timedelta(minutes=profile.session_minutes)
    if _conflicts(therapist, start, end, timedelta(minutes=profile.buffer_minutes), ignoring):
        raise SlotTaken()
    return end


def _create(
    *,
    actor: User,
    therapist: User,
    patient: User,
    course: TreatmentCourse | None,
    start: datetime,
    end: datetime,
    series: uuid.UUID | None,
    request: Any,
) -> Appointment:
    appointment = Appointment.objects.create(
        therapist=therapist,
        patient=patient,
        course=course,
        start=start,
        end=end,
        status=AppointmentStatus.BOOKED,
        series=series,
        created_by=actor,
    )
    record(
        actor=actor,
        action="appointment.book",
        target=appointment,
        patient=patient,
        request=request,
        detail={"series": str(series)} if series else None,
    )
    return appointment


def _book_inside(
    *,
    actor: User,
    therapist: User,
    patient: User,
    profile: TherapistProfile,
    start: datetime,
    course: TreatmentCourse | None,
    series: uuid.UUID | None,
    ignoring: Appointment | None,
    request: Any,
) -> Appointment:
    """Book inside the calendar transaction (the checks that depend on other bookings run here)."""
    _check_time(actor, therapist, profile, start, _now())
    end = _check_free(therapist, profile, start, ignoring)
    return _create(
        actor=actor,
        therapist=therapist,
        patient=patient,
        course=course,
        start=start,
        end=end,
        series=series,
        request=request,
    )


# -- Booking -----------------------------------------------------------------------------------


def book_appointment(
    *,
    actor: User,
    therapist: User,
    patient: User,
    start: datetime,
    course: TreatmentCourse | None = None,
    request: Any = None,
    series: uuid.UUID | None = None,
) -> Appointment:
    """Book one appointment (status booked). Raises SlotTaken, ValidationError or PermissionDenied.

    A patient books an open slot with their own therapist (for their current course); a therapist
    books any free time in their own calendar for a patient of their caseload.
    """
    start = _instant(start)
    course = _resolve_booking(actor, therapist, patient, course)
    _check_time(actor, therapist, rules_of(therapist), start, _now())  # again inside, under the lock
    profile = _profile(therapist)
    with _calendar_of(profile):
        appointment = _book_inside(
            actor=actor,
            therapist=therapist,
            patient=patient,
            profile=profile,
            start=start,
            course=course,
            series=series,
            ignoring=None,
            request=request,
        )
        _on_commit(notifications.appointments_booked, [appointment])
    return appointment


def weekly_starts(therapist: User, first_start: datetime, count: int) -> list[tuple[datetime | None, str]]:
    """The series' starts: the same wall-clock time each week in the therapist's zone.

    Each is (instant, label in the therapist's zone); the instant is None on a date where that
    time does not exist (a spring-forward gap).
    """
    zone = zone_of(therapist)
    local = _instant(first_start).astimezone(zone)
    starts: list[tuple[datetime | None, str]] = []
    for week in range(count):
        day = local.date() + timedelta(weeks=week)
        instant = local_to_utc(day, local.time().replace(tzinfo=None), zone)
        label = date_format(day, "D j M Y") + local.strftime(" %H:%M")
        starts.append((instant, label))
    return starts


def book_weekly_series(
    *,
    actor: User,
    course: TreatmentCourse,
    first_start: datetime,
    count: int,
    request: Any = None,
) -> list[Appointment]:
    """The course's therapist books ``count`` weekly sessions: all of them, or none.

    The refusal names every date (in the therapist's zone) that is not free.
    """
    if not 1 <= count <= SERIES_MAX:
        raise ValidationError(f"A series has 1 to {SERIES_MAX} sessions.")
    if actor.role != Role.THERAPIST or course.care_team.therapist_id != actor.pk:
        raise PermissionDenied("Only the patient's therapist can book a series.")
    therapist, patient = actor, course.care_team.patient
    course = _resolve_booking(actor, therapist, patient, course) or course
    profile = _profile(therapist)
    session = timedelta(minutes=profile.session_minutes)
    buffer = timedelta(minutes=profile.buffer_minutes)
    starts = weekly_starts(therapist, first_start, count)
    series = uuid.uuid4()
    with _calendar_of(profile):
        now = _now()
        problems = []
        for instant, label in starts:
            if instant is None:
                problems.append(f"{label} (that time does not exist that day: the clocks change)")
            elif instant < now:
                problems.append(f"{label} (already passed)")
            elif _conflicts(therapist, instant, instant + session, buffer):
                problems.append(label)
        if problems:
            raise SlotTaken("These dates are not free, so nothing was booked: " + "; ".join(problems) + ".")
        appointments = [
            _create(
                actor=actor,
                therapist=therapist,
                patient=patient,
                course=course,
                start=instant,
                end=instant + session,
                series=series,
                request=request,
            )
            for instant, _label in starts
            if instant is not None
        ]
        _on_commit(notifications.appointments_booked, appointments)
    return appointments


# -- Cancelling, moving, missing ---------------------------------------------------------------


def is_late_cancellation(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether cancelling now is late: less than the therapist's late-cancellation hours ahead."""
    hours = rules_of(appointment.therapist).late_cancellation_hours
    return _now(now) > appointment.start - timedelta(hours=hours)


def _require_member(actor: User, appointment: Appointment, doing: str) -> None:
    if actor.role == Role.PATIENT and appointment.patient_id == actor.pk:
        return
    if actor.role == Role.THERAPIST and appointment.therapist_id == actor.pk:
        return
    raise PermissionDenied(f"Only the patient and their therapist can {doing} this appointment.")


def _refuse_unless_changeable(appointment: Appointment, doing: str, now: datetime) -> None:
    status = appointment.status
    if status == AppointmentStatus.CANCELLED:
        raise ValidationError(f"This appointment is already cancelled, so it cannot {doing}.")
    if status == AppointmentStatus.ARRIVED:
        raise ValidationError(f"This session is under way, so it cannot {doing}.")
    if status == AppointmentStatus.FULFILLED:
        raise ValidationError(f"This session has been held, so it cannot {doing}.")
    if status == AppointmentStatus.NOSHOW:
        raise ValidationError(f"This appointment was marked missed, so it cannot {doing}.")
    if status not in CHANGEABLE_STATUSES:
        raise ValidationError(f"This appointment cannot {doing}.")
    if appointment.start <= now:
        raise ValidationError(f"This appointment has already started, so it cannot {doing}.")


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("therapist", "patient")
        .get(pk=appointment.pk)
    )


def _cancel_inside(
    *, actor: User, appointment: Appointment, reason: str, now: datetime, rescheduled_to: Appointment | None
) -> Appointment:
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = actor
    appointment.cancellation_reason = reason
    appointment.is_late_cancellation = is_late_cancellation(appointment, now)
    appointment.rescheduled_to = rescheduled_to
    appointment.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "is_late_cancellation",
            "rescheduled_to",
        ]
    )
    return appointment


def cancel_appointment(
    *, actor: User, appointment: Appointment, reason: str = "", request: Any = None
) -> Appointment:
    """The patient or the therapist cancels a live appointment before it starts."""
    _require_member(actor, appointment, "cancel")
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError("Keep the reason under 2000 characters.")
    _refuse_unless_changeable(appointment, "be cancelled", _now())  # again inside, on the locked row
    profile = _profile(appointment.therapist)
    with _calendar_of(profile):
        current = _locked(appointment)
        now = _now()
        _refuse_unless_changeable(current, "be cancelled", now)
        _cancel_inside(actor=actor, appointment=current, reason=reason, now=now, rescheduled_to=None)
        record(
            actor=actor,
            action="appointment.cancel",
            target=current,
            patient=current.patient,
            request=request,
            detail={"late": current.is_late_cancellation},
        )
        _on_commit(notifications.appointment_cancelled, current)
    return current


def reschedule_appointment(
    *, actor: User, appointment: Appointment, new_start: datetime, request: Any = None
) -> Appointment:
    """Book the new time (the same checks as booking) and cancel the old one, in one transaction."""
    _require_member(actor, appointment, "move")
    new_start = _instant(new_start)
    therapist, patient = appointment.therapist, appointment.patient
    course = _resolve_booking(actor, therapist, patient, None)
    if appointment.course_id is not None:
        course = appointment.course
    _refuse_unless_changeable(appointment, "be moved", _now())  # again inside, on the locked row
    _check_time(actor, therapist, rules_of(therapist), new_start, _now())
    profile = _profile(therapist)
    with _calendar_of(profile):
        old = _locked(appointment)
        now = _now()
        _refuse_unless_changeable(old, "be moved", now)
        if new_start == old.start:
            raise ValidationError("That is the time it already has. Choose a different time.")
        # Check the new time first (ignoring the old appointment), then free the old time so
        # the exclusion constraint lets the new one in when the two overlap.
        _check_time(actor, therapist, profile, new_start, now)
        new_end = _check_free(therapist, profile, new_start, ignoring=old)
        _cancel_inside(actor=actor, appointment=old, reason="Rescheduled", now=now, rescheduled_to=None)
        new = _create(
            actor=actor,
            therapist=therapist,
            patient=patient,
            course=course,
            start=new_start,
            end=new_end,
            series=old.series,
            request=request,
        )
        old.rescheduled_to = new
        old.save(update_fields=["rescheduled_to"])
        record(
            actor=actor,
            action="appointment.reschedule",
            target=old,
            patient=patient,
            request=request,
            detail={"to": str(new.pk), "late": old.is_late_cancellation},
        )
        _on_commit(notifications.appointment_rescheduled, old, new)
    return new


def _refuse_unless_missable(appointment: Appointment) -> None:
    if appointment.status == AppointmentStatus.NOSHOW:
        raise ValidationError("This appointment is already marked missed.")
    if appointment.status == AppointmentStatus.CANCELLED:
        raise ValidationError("This appointment was cancelled, so it cannot be marked missed.")
    if appointment.status in (AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED):
        raise ValidationError("The patient came to this session, so it cannot be marked missed.")
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError("Only a booked appointment can be marked missed.")
    if _now() < appointment.start:
        raise ValidationError("This appointment has not started yet, so it cannot be marked missed.")


def mark_noshow(*, actor: User, appointment: Appointment, request: Any = None) -> Appointment:
    """The therapist records that the patient did not come: booked -> noshow, after the start."""
    if actor.role != Role.THERAPIST or appointment.therapist_id != actor.pk:
        raise PermissionDenied("Only the patient's therapist can mark an appointment missed.")
    _refuse_unless_missable(appointment)  # again inside, on the locked row
    profile = _profile(appointment.therapist)
    with _calendar_of(profile):
        current = _locked(appointment)
        _refuse_unless_missable(current)
        current.status = AppointmentStatus.NOSHOW
        current.save(update_fields=["status"])
        record(
            actor=actor, action="appointment.noshow", target=current, patient=current.patient, request=request
        )
    return current
