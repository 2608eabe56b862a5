"""The waiting room, admitting a patient, the video call page and ending the session.

Only the two members of an appointment reach these pages, and only around its scheduled time
(the websockets behind them check the same again). The pages are shells: the browser speaks the
waiting-room and call websockets (static/js/waiting-room.js, call.js); the state lives in the
Appointment.
"""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role, User
from ipt.audit.actions import record
from ipt.scheduling.access import appointments_for, get_appointment_for, is_member
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth import actions
from ipt.telehealth.access import location_summary
from ipt.telehealth.events import lobby_entry
from ipt.telehealth.ice import ice_servers_for
from ipt.telehealth.readiness import missing_before_joining

CALL_CLOSED = "This session can only be joined around its scheduled time."
NOT_IN_SESSION = "This session is not in progress."


def _audit(request, action: str, appointment: Appointment) -> None:
    record(
        actor=request.user, action=action, target=appointment, patient=appointment.patient, request=request
    )


def lobby_entries(request) -> list[dict]:
    """The therapist's patients waiting now, as the lobby panel shows them at page load.

    For the view that includes ``telehealth/_lobby.html`` (the therapist's schedule): pass the
    result as ``lobby``. The websocket sends the same list on connect, so the panel is right
    either way; this makes it right before the socket opens, and adds where each patient is
    (and a licensing warning), which the live frames do not carry.
    """
    therapist = request.user
    if therapist.role != Role.THERAPIST:
        return []
    waiting = appointments_for(therapist).filter(status=AppointmentStatus.BOOKED, waiting_since__isnull=False)
    entries = []
    for appointment in waiting:
        if not actions.call_window_open(appointment):
            continue
        entry = lobby_entry(appointment)
        summary = location_summary(appointment, viewer=therapist, request=request)
        entry["start_local"] = _clock(appointment.start, therapist)
        entry["since_local"] = _clock(appointment.waiting_since, therapist)
        entry["place"] = summary["place"] if summary else ""
        entry["warning"] = (summary["warning"] or "") if summary else ""
        entries.append(entry)
    return entries


def _clock(moment, user: User) -> str:
    return timezone.localtime(moment, ZoneInfo(user.time_zone)).strftime("%H:%M") if moment else ""


# The patient's waiting room ---------------------------------------------------------------------


@never_cache
@require_GET
@role_required(Role.PATIENT)
def waiting_room(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    window_open = actions.call_window_open(appointment)
    if appointment.status == AppointmentStatus.ARRIVED and window_open:
        return redirect("video_call", appointment.pk)
    if (
        appointment.status != AppointmentStatus.BOOKED
        or not window_open
        or missing_before_joining(appointment)
    ):
        return redirect("join_session", appointment.pk)
    _audit(request, "telehealth.waiting_room.open", appointment)
    context = {
        "appointment": appointment,
        "therapist": appointment.therapist,
        "ws_path": f"/ws/appointments/{appointment.pk}/waiting/",
        "zone": request.user.time_zone,
    }
    return render(request, "telehealth/waiting_room.html", context)


# Admitting and ending (the therapist) -----------------------------------------------------------


@require_POST
@role_required(Role.THERAPIST)
def admit(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    if request.POST.get("intent") != "admit":  # only the Admit button, never a stray post
        messages.error(request, "Use the Admit button to let the patient in.")
        return redirect("schedule")
    try:
        actions.admit_patient(actor=request.user, appointment=appointment, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("schedule")
    return redirect("video_call", appointment.pk)


@require_POST
@role_required(Role.THERAPIST)
def end_call(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    if request.POST.get("intent") != "end":  # only the End session button, never a stray post
        messages.error(request, "Use the End session button to end the session.")
        return redirect("video_call", appointment.pk)
    try:
        appointment = actions.end_session(actor=request.user, appointment=appointment, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        if appointment.status == AppointmentStatus.ARRIVED:
            return redirect("video_call", appointment.pk)
        return redirect("schedule")
    messages.success(request, "The session has ended. Its note is ready for you.")
    return _after_the_call(request.user, appointment)


def _after_the_call(user: User, appointment: Appointment):
    """Where a member goes once the session is over: the therapist to its note."""
    if user.pk == appointment.therapist_id and appointment.encounter_id and appointment.course_id:
        return redirect("session_note", appointment.course_id, appointment.encounter_id)
    if user.pk == appointment.therapist_id:
        return redirect("schedule")
    return redirect("my_appointments")


# The call ---------------------------------------------------------------------------------------


@never_cache
@require_GET
@role_required(Role.PATIENT, Role.THERAPIST)
def video_call(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    if not is_member(request.user, appointment):
        raise Http404("No such appointment.")
    is_therapist = request.user.pk == appointment.therapist_id
    if appointment.status == AppointmentStatus.FULFILLED:
        if is_therapist:
            return _after_the_call(request.user, appointment)
        return render(request, "telehealth/call_ended.html", {"appointment": appointment})
    if not actions.call_window_open(appointment):
        messages.error(request, CALL_CLOSED)
        return redirect("schedule" if is_therapist else "my_appointments")
    if appointment.status == AppointmentStatus.BOOKED:
        if is_therapist:
            messages.info(request, "Admit the patient from your waiting room to start the session.")
            return redirect("schedule")
        return redirect("waiting_room", appointment.pk)
    if appointment.status != AppointmentStatus.ARRIVED:
        messages.error(request, NOT_IN_SESSION)
        return redirect("schedule" if is_therapist else "my_appointments")
    _audit(request, "telehealth.call.open", appointment)
    peer = appointment.patient if is_therapist else appointment.therapist
    context = {
        "appointment": appointment,
        "peer": peer,
        "role": "therapist" if is_therapist else "patient",
        "is_therapist": is_therapist,
        "ice": ice_servers_for(request.user),
        "ws_path": f"/ws/appointments/{appointment.pk}/call/",
        "arrived_at": (appointment.arrived_at or timezone.now()).isoformat(),
        "leave_url": reverse("my_appointments"),
        "zone": request.user.time_zone,
    }
    return render(request, "telehealth/call.html", context)
