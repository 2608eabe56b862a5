"""Getting ready for a video session: the device check, and the patient's join step (consent, then
where they are, that they are somewhere private, and a number to call back) before the waiting room.
"""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.scheduling.access import appointments_for, get_appointment_for, is_member
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth.actions import call_window, call_window_open
from ipt.telehealth.consent_actions import JOINABLE_STATUSES, confirm_location
from ipt.telehealth.forms import LocationCheckForm
from ipt.telehealth.models import LocationCheck
from ipt.telehealth.readiness import has_current_consent
from ipt.telehealth.views.consent import refuse, safe_next


@role_required(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET"])
def device_check(request):
    """Camera, microphone and connection test for anyone signed in (the work is in device-check.js)."""
    return render(request, "telehealth/device_check.html", {"next_url": safe_next(request)})


def _call_window(appointment: Appointment) -> tuple[bool, str]:
    """Whether the patient may join now and, if not, why: "opens" (too early) or "closed"."""
    if call_window_open(appointment):
        return True, ""
    opens, _closes = call_window(appointment)
    return False, "opens" if timezone.now() < opens else "closed"


STATUS_REFUSALS: dict[str, str] = {
    AppointmentStatus.PROPOSED: "This session has not been confirmed yet, so it cannot be joined.",
    AppointmentStatus.CANCELLED: "This session was cancelled, so there is nothing to join.",
    AppointmentStatus.FULFILLED: "This session has already taken place.",
    AppointmentStatus.NOSHOW: "This session was marked as missed, so it can no longer be joined.",
}


def _refusal(request, appointment: Appointment) -> str | None:
    if appointment.status not in JOINABLE_STATUSES:
        return STATUS_REFUSALS.get(str(appointment.status), "This session cannot be joined.")
    is_open, reason = _call_window(appointment)
    if is_open:
        return None
    if reason == "opens":
        zone = ZoneInfo(request.user.time_zone or "UTC")
        opens = timezone.localtime(call_window(appointment)[0], zone)
        return (
            f"It is too early to join. You can join from {opens:%H:%M} on {opens:%A} {opens.day} {opens:%B} "
            f"({settings.IPT_CALL_OPENS_MINUTES_BEFORE} minutes before the session starts)."
        )
    return "The time to join this session has passed. Please book another session or message your therapist."


def _previous_check(request, appointment: Appointment) -> LocationCheck | None:
    """This session's check (a rejoin) or the patient's latest one, to fill the form in."""
    mine = LocationCheck.objects.filter(appointment__in=appointments_for(request.user))
    return mine.filter(appointment=appointment).first() or mine.order_by("-confirmed_at").first()


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def join_session(request, appointment_id):
    """The appointment's patient confirms where they are, then goes to the waiting room."""
    appointment = get_appointment_for(request.user, appointment_id)
    if not is_member(request.user, appointment) or appointment.patient_id != request.user.pk:
        raise PermissionDenied("Only the patient of this appointment joins from here.")
    refusal = _refusal(request, appointment)
    if refusal:
        return render(
            request, "telehealth/join.html", {"appointment": appointment, "refusal": refusal}, status=409
        )
    if not has_current_consent(request.user):
        if request.method == "POST":  # what was sent is not kept: say why
            messages.info(request, "Nothing was saved yet: please sign the consent to video sessions first.")
        join_url = reverse("join_session", args=[appointment.pk])
        return redirect(f"{reverse('my_telehealth_consent')}?{urlencode({'next': join_url})}")

    if request.headers.get("HX-Request") and request.method == "GET" and "country" in request.GET:
        # The country changed: send the form again with that country's regions (the page keeps the rest).
        form = LocationCheckForm(initial={"country": request.GET.get("country", "")})
        return render(request, "telehealth/join.html", {"appointment": appointment, "form": form})

    problems: list[str] = []
    if request.method == "POST" and request.POST.get("intent") == "regions":
        form = LocationCheckForm(initial=request.POST.dict())
    elif request.method == "POST":
        form = LocationCheckForm(request.POST)
        if form.is_valid():
            try:
                confirm_location(
                    actor=request.user, appointment=appointment, **form.cleaned_data, request=request
                )
            except ValidationError as error:
                problems = refuse(form, error)
            else:
                return redirect("waiting_room", appointment_id=appointment.pk)
    else:
        form = LocationCheckForm(initial=_prefill(request, appointment))
    return render(
        request,
        "telehealth/join.html",
        {"appointment": appointment, "form": form, "problems": problems},
        status=400 if problems or form.errors else 200,
    )


def _prefill(request, appointment: Appointment) -> dict:
    previous = _previous_check(request, appointment)
    if previous is None:
        return {}
    record(
        actor=request.user,
        action="location_check.read",
        target=previous,
        patient=request.user,
        request=request,
        detail={"appointment": str(appointment.pk), "purpose": "prefill"},
    )
    return {
        "country": previous.country,
        "region": previous.region,
        "emergency_address": previous.emergency_address,
        "callback_number": previous.callback_number,
    }
