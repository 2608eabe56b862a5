"""Reading a patient's location check for a session, and whether their therapist is licensed there.

For the staff pages around a session (the lobby, the call, the appointment): the caller has
already fetched the appointment through ``ipt.scheduling.access``. Pass ``viewer`` (and the
request) so the read is audited: where a patient is, is clinical data.
"""

from datetime import datetime
from typing import Any

from django.urls import reverse

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.scheduling.access import appointments_for, is_member
from ipt.scheduling.models import Appointment, AppointmentStatus, TherapistProfile
from ipt.telehealth import regions
from ipt.telehealth.actions import call_window_open
from ipt.telehealth.models import LocationCheck
from ipt.telehealth.readiness import location_check_of

NO_JURISDICTIONS_NOTICE = (
    "No licensed jurisdictions are recorded for the therapist, so this location cannot be checked "
    "against a licence. Add them to the therapist's profile."
)


def join_url_for(user: User, appointment: Appointment) -> str | None:
    """Where a member goes to join, while the call window is open (None otherwise)."""
    if not is_member(user, appointment) or appointment.status not in (
        AppointmentStatus.BOOKED,
        AppointmentStatus.ARRIVED,
    ):
        return None
    if not call_window_open(appointment):
        return None
    if user.pk == appointment.patient_id:
        return reverse("join_session", args=[appointment.pk])
    if appointment.status == AppointmentStatus.ARRIVED:
        return reverse("video_call", args=[appointment.pk])
    return reverse("schedule")


def licensed_codes(therapist: User) -> list[str]:
    """The therapist's licensed jurisdictions (read only: no profile is created here)."""
    profile = TherapistProfile.objects.filter(therapist=therapist).first()
    return profile.jurisdiction_codes() if profile else []


def place_name(country: str, region: str = "") -> str:
    """ "New York, United States" (or just the country)."""
    country_part = regions.country_name(country)
    return f"{regions.region_name(region)}, {country_part}" if region else country_part


def _warning_for(check: LocationCheck, licensed: list[str]) -> str | None:
    if not licensed or regions.is_covered(licensed, check.country, check.region):
        return None
    return (
        f"The patient says they are in {place_name(check.country, check.region)}, which is not among "
        f"the therapist's licensed jurisdictions ({', '.join(licensed)}). Check that you may practise "
        "there before going on with the session."
    )


def jurisdiction_warning(appointment: Appointment) -> str | None:
    """A warning when the patient's confirmed place is outside the therapist's licences.

    None when there is no location check yet, when a licence covers the place, or when the
    therapist has no licensed jurisdictions recorded (``jurisdiction_notice`` says that instead).
    """
    check = location_check_of(appointment)
    if check is None:
        return None
    return _warning_for(check, licensed_codes(appointment.therapist))


def jurisdiction_notice(appointment: Appointment) -> str | None:
    """The softer notice when the therapist has no licensed jurisdictions recorded."""
    if location_check_of(appointment) is None:
        return None
    return None if licensed_codes(appointment.therapist) else NO_JURISDICTIONS_NOTICE


def may_read_location(user: User, appointment: Appointment) -> bool:
    """Staff who can read the appointment (its therapist and their supervisor); never patients here."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_staff_role
        and appointments_for(user).filter(pk=appointment.pk).exists()
    )


def location_summary(
    appointment: Appointment, *, viewer: User | None = None, request=None
) -> dict[str, Any] | None:
    """Where the patient says they are for this session, for staff pages (None: not confirmed yet).

    Keys: country, region (codes), country_name, region_name, place, emergency_address,
    is_private, callback_number, confirmed_at (aware UTC), licensed (codes), warning, notice.
    With ``viewer`` the read is audited.
    """
    check = location_check_of(appointment)
    if check is None:
        return None
    if viewer is not None:
        record(
            actor=viewer,
            action="location_check.read",
            target=check,
            patient=appointment.patient,
            request=request,
            detail={"appointment": str(appointment.pk)},
        )
    licensed = licensed_codes(appointment.therapist)
    confirmed_at: datetime = check.confirmed_at
    return {
        "country": check.country,
        "region": check.region,
        "country_name": regions.country_name(check.country),
        "region_name": regions.region_name(check.region) if check.region else "",
        "place": place_name(check.country, check.region),
        "emergency_address": check.emergency_address,
        "is_private": check.is_private,
        "callback_number": check.callback_number,
        "confirmed_at": confirmed_at,
        "licensed": licensed,
        "warning": _warning_for(check, licensed),
        "notice": None if licensed else NO_JURISDICTIONS_NOTICE,
    }
