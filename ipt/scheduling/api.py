"""Appointments over the JSON API: open slots, booking, cancelling and moving.

Who may use what: a patient sees their own therapist's slots and books, cancels and moves their
own appointments; a therapist works in their own calendar for patients of their caseload; a
supervisor reads their supervisees' appointments. Everyone else gets 404 ("missing" and "not
yours" look the same).
"""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from ipt.accounts.access import care_teams_for
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.lib.schemas import ErrorOut
from ipt.scheduling import access, actions
from ipt.scheduling.models import Appointment
from ipt.scheduling.schemas import AppointmentOut, BookIn, CancelIn, RescheduleIn, SlotOut
from ipt.scheduling.slots import open_slots

router = Router(tags=["appointments"])

MAX_SLOT_RANGE = timedelta(days=31)
CHANGE_RESPONSES = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SlotsQuery(Schema):
    therapist: UUID
    start: datetime = Field(description="ISO 8601 with a time zone")
    end: datetime = Field(description="ISO 8601 with a time zone; at most 31 days after start")


class RangeQuery(Schema):
    from_: datetime | None = Field(None, alias="from", description="Appointments ending after this")
    to: datetime | None = Field(None, description="Appointments starting before this")


def _out(appointment: Appointment) -> dict:
    return {
        "id": appointment.pk,
        "therapist": appointment.therapist_id,
        "patient": appointment.patient_id,
        "course": appointment.course_id,
        "start": appointment.start.astimezone(UTC),
        "end": appointment.end.astimezone(UTC),
        "status": appointment.status,
        "is_late_cancellation": appointment.is_late_cancellation,
        "series": appointment.series,
    }


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _refusal(error: ValidationError) -> Status:
    """409 when the time is taken (or the calendar is busy), 400 for any other refusal."""
    if isinstance(error, actions.SlotTaken | actions.CalendarBusy):
        return Status(409, {"detail": _message(error)})
    return Status(400, {"detail": _message(error)})


def _aware(value: datetime) -> datetime | None:
    # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 parsers accept (R7).
    if timezone.is_naive(value):
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before the first instant in UTC
        raise HttpError(422, f"{value.isoformat()} is outside the dates the calendar handles.") from None


@router.get(
    "/appointments/slots",
    response={200: list[SlotOut], 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Open slots of a therapist (patients: their own therapist; therapists: themselves)",
)
def list_slots(request, query: Query[SlotsQuery]):
    therapist = access.get_bookable_therapist_for(request.auth, query.therapist)
    start, end = _aware(query.start), _aware(query.end)
    if start is None or end is None:
        return Status(422, {"detail": "Give start and end with a time zone, e.g. 2026-03-09T00:00:00Z."})
    if end <= start:
        return Status(422, {"detail": "end must be after start."})
    if end - start > MAX_SLOT_RANGE:
        return Status(422, {"detail": "Ask for at most 31 days of slots at a time."})
    slots = open_slots(therapist, start, end, for_patient=request.auth.role == Role.PATIENT)
    return Status(200, [{"start": slot.start, "end": slot.end} for slot in slots])


@router.post(
    "/appointments",
    response={201: AppointmentOut, **CHANGE_RESPONSES},
    summary="Book an appointment (a patient: an open slot with their therapist; a therapist: any free "
    "time for a patient of their caseload)",
)
def book(request, payload: BookIn):
    actor = request.auth
    therapist = access.get_bookable_therapist_for(actor, payload.therapist)
    if actor.role == Role.PATIENT:
        if payload.patient is not None and payload.patient != actor.pk:
            raise Http404("No such patient.")
        patient = actor
    else:
        if payload.patient is None:
            return Status(422, {"detail": "Say which patient the appointment is for (patient)."})
        team = care_teams_for(actor).filter(patient_id=payload.patient).first()
        if team is None:
            raise Http404("No such patient.")
        patient = team.patient
    if _aware(payload.start) is None:
        return Status(422, {"detail": "Give start with a time zone, e.g. 2026-03-09T14:00:00Z."})
    try:
        appointment = actions.book_appointment(
            actor=actor, therapist=therapist, patient=patient, start=_aware(payload.start), request=request
        )
    except ValidationError as error:
        return _refusal(error)
    return Status(201, _out(appointment))


@router.get(
    "/appointments",
    response={200: list[AppointmentOut], 422: ErrorOut},
    summary="The caller's appointments (patients: their own; therapists: their calendar; "
    "supervisors: their supervisees')",
)
def list_appointments(request, query: Query[RangeQuery]):
    appointments = access.appointments_for(request.auth)
    if query.from_ is not None:
        if timezone.is_naive(query.from_):
            return Status(422, {"detail": "Give from with a time zone."})
        appointments = appointments.filter(end__gt=_aware(query.from_))
    if query.to is not None:
        if timezone.is_naive(query.to):
            return Status(422, {"detail": "Give to with a time zone."})
        appointments = appointments.filter(start__lt=_aware(query.to))
    found = list(appointments.order_by("start"))
    record(actor=request.auth, action="appointment.list", request=request, detail={"count": len(found)})
    return Status(200, [_out(appointment) for appointment in found])


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, 404: ErrorOut},
    summary="One appointment (its patient, its therapist, the therapist's supervisor)",
)
def get_appointment(request, appointment_id: UUID):
    appointment = access.get_appointment_for(request.auth, appointment_id)
    record(
        actor=request.auth,
        action="appointment.read",
        target=appointment,
        patient=appointment.patient,
        request=request,
    )
    return Status(200, _out(appointment))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **CHANGE_RESPONSES},
    summary="Cancel an appointment (its patient or its therapist)",
)
def cancel(request, appointment_id: UUID, payload: CancelIn):
    appointment = access.get_appointment_for(request.auth, appointment_id)
    try:
        appointment = actions.cancel_appointment(
            actor=request.auth, appointment=appointment, reason=payload.reason, request=request
        )
    except ValidationError as error:
        return _refusal(error)
    return Status(200, _out(appointment))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={201: AppointmentOut, **CHANGE_RESPONSES},
    summary="Move an appointment: the new one is returned, the old one is cancelled",
)
def reschedule(request, appointment_id: UUID, payload: RescheduleIn):
    appointment = access.get_appointment_for(request.auth, appointment_id)
    if _aware(payload.start) is None:
        return Status(422, {"detail": "Give start with a time zone, e.g. 2026-03-09T14:00:00Z."})
    try:
        new = actions.reschedule_appointment(
            actor=request.auth, appointment=appointment, new_start=_aware(payload.start), request=request
        )
    except ValidationError as error:
        return _refusal(error)
    return Status(201, _out(new))
