"""Appointment pages: the therapist's schedule, a course's appointments, one appointment (cancel,
reschedule, no-show) and the patient's own appointments with booking from open slots.

Who may use what: the schedule is the therapist's own; a course's appointments are read by its
therapist and the supervisor, booked by its therapist only; an appointment is read by its patient,
its therapist and the therapist's supervisor, and changed by its two members only (no-show: the
therapist). Every page starts from ``ipt.scheduling.access`` or ``ipt.care.access``; every time
is shown in the viewer's zone, named on the page. Refusals are messages, never a 500.
"""

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import current_course_of_patient, get_course_for, is_course_therapist
from ipt.lib.forms import posted
from ipt.scheduling import access
from ipt.scheduling.actions import (
    SlotTaken,
    book_appointment,
    book_weekly_series,
    cancel_appointment,
    is_late_cancellation,
    mark_noshow,
    reschedule_appointment,
)
from ipt.scheduling.forms import CancelForm, SeriesForm, SessionTimeForm, StartForm
from ipt.scheduling.models import LIVE_STATUSES, AppointmentStatus, TherapistProfile
from ipt.scheduling.slots import open_slots, zone_of
from ipt.telehealth.access import join_url_for
from ipt.telehealth.readiness import has_current_consent
from ipt.telehealth.views.call import lobby_entries

SCHEDULE_DAYS = 14
CHANGEABLE = (AppointmentStatus.PROPOSED, AppointmentStatus.BOOKED)
MAX_WEEKS_AHEAD = 53  # a year: the booking horizon is at most 365 days


def _day_start(day, zone) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _by_local_day(items, zone, start_of=lambda item: item.start) -> list[tuple]:
    """[(date, [item, ...]), ...] in order, each item grouped by its start's date in ``zone``."""
    days: dict = defaultdict(list)
    for item in items:
        days[timezone.localtime(start_of(item), zone).date()].append(item)
    return sorted(days.items())


# The therapist's schedule --------------------------------------------------------------------


@require_GET
@role_required(Role.THERAPIST)
def schedule(request):
    zone = zone_of(request.user)
    today = timezone.localdate(timezone.now(), zone)
    appointments = access.appointments_for(request.user).filter(
        end__gt=_day_start(today, zone),
        start__lt=_day_start(today + timedelta(days=SCHEDULE_DAYS), zone),
    )
    appointments = list(appointments)
    for appointment in appointments:
        appointment.join_url = join_url_for(request.user, appointment)
    record(actor=request.user, action="schedule.read", request=request, detail={"count": len(appointments)})
    context = {
        "zone": zone.key,
        "days": _by_local_day(appointments, zone),
        "first_day": today,
        "last_day": today + timedelta(days=SCHEDULE_DAYS - 1),
        "lobby": lobby_entries(request),
    }
    return render(request, "scheduling/schedule.html", context)


# A course's appointments -------------------------------------------------------------------------


def _remaining_sessions(course) -> int:
    """Planned sessions not yet held nor booked."""
    held = course.encounters.count()
    booked = course.appointments.filter(status__in=LIVE_STATUSES, encounter__isnull=True).count()
    return max(course.planned_sessions - held - booked, 0)


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def course_appointments(request, course_id):
    course = get_course_for(request.user, course_id)
    can_book = is_course_therapist(request.user, course)
    zone = zone_of(request.user)
    remaining = _remaining_sessions(course)
    one_form = SessionTimeForm(zone=zone, prefix="one")
    series_form = SeriesForm(zone=zone, remaining=remaining, prefix="series")
    status = 200
    if request.method == "POST":
        if not can_book:
            raise PermissionDenied("Only the patient's therapist can book sessions.")
        step = request.POST.get("step")
        try:
            if step == "series":
                series_form = SeriesForm(request.POST, zone=zone, remaining=remaining, prefix="series")
                if not series_form.is_valid():
                    raise ValidationError("")
                booked = book_weekly_series(
                    actor=request.user,
                    course=course,
                    first_start=series_form.cleaned_data["start"],
                    count=series_form.cleaned_data["count"],
                    request=request,
                )
                messages.success(request, f"Booked {len(booked)} weekly sessions.")
                return redirect("course_appointments", course.pk)
            one_form = SessionTimeForm(request.POST, zone=zone, prefix="one")
            if not one_form.is_valid():
                raise ValidationError("")
            appointment = book_appointment(
                actor=request.user,
                therapist=course.care_team.therapist,
                patient=course.care_team.patient,
                start=one_form.cleaned_data["start"],
                course=course,
                request=request,
            )
            messages.success(request, "Session booked.")
            return redirect("appointment_detail", appointment.pk)
        except ValidationError as error:
            form = series_form if step == "series" else one_form
            for message in error.messages:
                if message:
                    form.add_error(None, message)
            status = 409 if isinstance(error, SlotTaken) else 400

    appointments = list(access.appointments_for(request.user).filter(course=course))
    record(
        actor=request.user,
        action="appointments.read",
        target=course,
        patient=course.care_team.patient,
        request=request,
        detail={"count": len(appointments)},
    )
    now = timezone.now()
    context = {
        "course": course,
        "zone": zone.key,
        "can_book": can_book,
        "remaining": remaining,
        "one_form": one_form,
        "series_form": series_form,
        "upcoming": [a for a in appointments if a.end >= now and a.status in LIVE_STATUSES],
        "past": [a for a in appointments if not (a.end >= now and a.status in LIVE_STATUSES)][::-1],
    }
    return render(request, "scheduling/course_appointments.html", context, status=status)


# One appointment -----------------------------------------------------------------------------------


def _appointment_context(request, appointment) -> dict:
    user = request.user
    zone = zone_of(user)
    profile = TherapistProfile.objects.filter(therapist=appointment.therapist).first() or TherapistProfile()
    member = access.is_member(user, appointment)
    changeable = member and appointment.status in CHANGEABLE and appointment.start > timezone.now()
    return {
        "appointment": appointment,
        "zone": zone.key,
        "is_therapist": user.pk == appointment.therapist_id,
        "is_patient": user.pk == appointment.patient_id,
        "late_window": profile.late_cancellation_hours,
        "would_be_late": changeable and is_late_cancellation(appointment),
        "may_cancel": changeable,
        "may_reschedule": changeable,
        "may_mark_noshow": user.pk == appointment.therapist_id
        and appointment.status == AppointmentStatus.BOOKED
        and appointment.start <= timezone.now(),
        "join_url": join_url_for(user, appointment),
        "cancel_form": CancelForm(),
    }


def _audit_read(request, appointment, action: str = "appointment.read") -> None:
    record(
        actor=request.user, action=action, target=appointment, patient=appointment.patient, request=request
    )


@require_GET
@role_required(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
def appointment_detail(request, appointment_id):
    appointment = access.get_appointment_for(request.user, appointment_id)
    _audit_read(request, appointment)
    return render(request, "scheduling/appointment_detail.html", _appointment_context(request, appointment))


def _member_appointment(request, appointment_id):
    appointment = access.get_appointment_for(request.user, appointment_id)
    if not access.is_member(request.user, appointment):
        raise PermissionDenied("Only the patient and the therapist of this session can change it.")
    return appointment


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT, Role.THERAPIST)
def appointment_cancel(request, appointment_id):
    appointment = _member_appointment(request, appointment_id)
    context = _appointment_context(request, appointment)
    if not context["may_cancel"]:
        messages.error(request, "This session can no longer be cancelled.")
        return redirect("appointment_detail", appointment.pk)
    form = CancelForm(posted(request))
    context["cancel_form"] = form
    if request.method == "POST" and form.is_valid():
        # A late cancellation is confirmed knowingly: if the page did not warn (it became late
        # meanwhile), show the warning and change nothing.
        if context["would_be_late"] and not request.POST.get("acknowledge_late"):
            messages.warning(request, "Please read the note about late cancellation, then confirm again.")
            return render(request, "scheduling/appointment_cancel.html", context, status=409)
        try:
            cancel_appointment(
                actor=request.user,
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, "The session is cancelled.")
        return redirect("appointment_detail", appointment.pk)
    _audit_read(request, appointment)
    return render(
        request, "scheduling/appointment_cancel.html", context, status=400 if form.is_bound else 200
    )


def _week_offset(request) -> int:
    try:
        return min(max(int(request.GET.get("week") or request.POST.get("week") or 0), 0), MAX_WEEKS_AHEAD)
    except ValueError:
        return 0


def _slot_week(user, therapist, week: int, *, for_patient: bool, ignoring=None) -> dict:
    """One week of the therapist's open slots, from today (in the viewer's zone) + ``week`` weeks,
    grouped by the viewer's days."""
    zone = zone_of(user)
    first_day = timezone.localdate(timezone.now(), zone) + timedelta(weeks=week)
    start, end = _day_start(first_day, zone), _day_start(first_day + timedelta(days=7), zone)
    slots = [
        {"start": slot.start, "end": slot.end, "iso": slot.start.astimezone(UTC).isoformat()}
        for slot in open_slots(therapist, start, end, for_patient=for_patient, ignoring=ignoring)
    ]
    return {
        "week": week,
        "previous_week": week - 1 if week > 0 else None,
        "next_week": week + 1 if week < MAX_WEEKS_AHEAD else None,
        "first_day": first_day,
        "last_day": first_day + timedelta(days=6),
        "slot_days": _by_local_day(slots, zone, start_of=lambda slot: slot["start"]),
        "zone": zone.key,
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT, Role.THERAPIST)
def appointment_reschedule(request, appointment_id):
    appointment = _member_appointment(request, appointment_id)
    context = _appointment_context(request, appointment)
    if not context["may_reschedule"]:
        messages.error(request, "This session can no longer be moved.")
        return redirect("appointment_detail", appointment.pk)
    status = 200
    if request.method == "POST":
        form = StartForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.errors["start"])
            new = reschedule_appointment(
                actor=request.user,
                appointment=appointment,
                new_start=form.cleaned_data["start"],
                request=request,
            )
        except SlotTaken as error:
            messages.warning(request, error.messages[0])
            status = 409
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            status = 400
        else:
            messages.success(request, "The session is moved.")
            return redirect("appointment_detail", new.pk)
    else:
        _audit_read(request, appointment)
    context.update(
        _slot_week(
            request.user,
            appointment.therapist,
            _week_offset(request),
            for_patient=request.user.role == Role.PATIENT,
            ignoring=appointment,
        )
    )
    context["slot_action"] = context["slot_page"] = reverse("appointment_reschedule", args=[appointment.pk])
    template = "scheduling/_slot_list.html" if request.headers.get("HX-Request") else None
    return render(request, template or "scheduling/appointment_reschedule.html", context, status=status)


@require_POST
@role_required(Role.THERAPIST)
def appointment_noshow(request, appointment_id):
    appointment = _member_appointment(request, appointment_id)
    try:
        mark_noshow(actor=request.user, appointment=appointment, request=request)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "Marked as missed.")
    return redirect("appointment_detail", appointment.pk)


# The patient's own appointments --------------------------------------------------------------------


def _my_page(request, *, week: int, status: int = 200):
    user = request.user
    zone = zone_of(user)
    now = timezone.now()
    appointments = list(access.appointments_for(user).select_related("therapist"))
    record(
        actor=user,
        action="appointments.read",
        patient=user,
        request=request,
        detail={"count": len(appointments)},
    )
    therapist = access.therapists_bookable_by(user).first()
    context = {
        "zone": zone.key,
        "upcoming": [a for a in appointments if a.end >= now and a.status in LIVE_STATUSES],
        "past": [a for a in appointments if not (a.end >= now and a.status in LIVE_STATUSES)][::-1][:20],
        "therapist": therapist,
        "needs_consent": not has_current_consent(user),
        "slot_action": reverse("my_appointment_book"),
        "slot_page": reverse("my_appointments"),
        "course": current_course_of_patient(user),
    }
    for appointment in context["upcoming"]:
        appointment.join_url = join_url_for(user, appointment)
    if therapist is not None:
        context.update(_slot_week(user, therapist, week, for_patient=True))
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "slot-list":
        return render(request, "scheduling/_slot_list.html", context, status=status)
    return render(request, "scheduling/my_appointments.html", context, status=status)


@require_GET
@role_required(Role.PATIENT)
def my_appointments(request):
    return _my_page(request, week=_week_offset(request))


@require_POST
@role_required(Role.PATIENT)
def my_appointment_book(request):
    week = _week_offset(request)
    therapist = access.therapists_bookable_by(request.user).first()
    if therapist is None:
        messages.error(request, "You have no therapist to book with yet.")
        return _my_page(request, week=week, status=400)
    form = StartForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["start"])
        appointment = book_appointment(
            actor=request.user,
            therapist=therapist,
            patient=request.user,
            start=form.cleaned_data["start"],
            request=request,
        )
    except SlotTaken as error:
        messages.warning(request, error.messages[0])
        return _my_page(request, week=week, status=409)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return _my_page(request, week=week, status=400)
    messages.success(request, "Your session is booked.")
    return redirect("appointment_detail", appointment.pk)
