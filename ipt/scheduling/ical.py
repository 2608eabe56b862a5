"""iCalendar for appointments: the private feed and the .ics attached to booking emails.

What a calendar holds is visible to whoever has the feed URL or the email, so an event carries
the session's time, "Session with <name>" and the link to the appointment page, and nothing
clinical (no course, phase, problem area or note).

One event per Appointment row: UID "<appointment id>@ipt-online". Moving an appointment makes a
new row (a new UID) and cancels the old one, whose SEQUENCE then goes up so calendar apps accept
the cancellation as newer than what they hold.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from ipt.accounts.models import Role, User
from ipt.scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus

PRODID = "-//IPT Online//Appointments//EN"
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)
# Statuses shown in the feed as they are; cancelled ones are shown as CANCELLED for FEED_PAST.
FEED_STATUSES = (*LIVE_STATUSES, AppointmentStatus.FULFILLED)
ICAL_STATUS = {
    AppointmentStatus.PROPOSED: "TENTATIVE",
    AppointmentStatus.BOOKED: "CONFIRMED",
    AppointmentStatus.ARRIVED: "CONFIRMED",
    AppointmentStatus.FULFILLED: "CONFIRMED",
    AppointmentStatus.NOSHOW: "CONFIRMED",
    AppointmentStatus.CANCELLED: "CANCELLED",
}


def other_party_name(appointment: Appointment, viewer: User) -> str:
    """Who the viewer meets: a patient sees their therapist's name; a therapist sees the
    patient's first name and last initial (enough to recognise, little to disclose)."""
    if viewer.pk == appointment.patient_id:
        return appointment.therapist.display_name
    patient = appointment.patient
    if patient.first_name:
        initial = f" {patient.last_name[:1]}." if patient.last_name else ""
        return f"{patient.first_name}{initial}"
    return "your patient"


def summary(appointment: Appointment, viewer: User) -> str:
    return f"Session with {other_party_name(appointment, viewer)}"


def appointment_url(appointment: Appointment) -> str:
    return settings.SITE_URL + reverse("appointment_detail", args=[appointment.pk])


def uid(appointment: Appointment) -> str:
    return f"{appointment.pk}@ipt-online"


def sequence(appointment: Appointment) -> int:
    """0 while it stands; 1 once cancelled (or moved, which cancels this row)."""
    return 1 if appointment.status == AppointmentStatus.CANCELLED else 0


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def event_for(appointment: Appointment, viewer: User, *, now: datetime | None = None) -> Event:
    now = now or timezone.now()
    event = Event()
    event.add("uid", uid(appointment))
    event.add("dtstamp", _utc(now))
    event.add("created", _utc(appointment.created_at))
    event.add("dtstart", _utc(appointment.start))
    event.add("dtend", _utc(appointment.end))
    event.add("sequence", sequence(appointment))
    event.add("status", ICAL_STATUS[AppointmentStatus(appointment.status)])
    event.add("summary", summary(appointment, viewer))
    link = appointment_url(appointment)
    event.add("url", link)
    event.add("description", link)
    event.add("transp", "OPAQUE")
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancelled_at:
        event.add("last-modified", _utc(appointment.cancelled_at))
    return event


def _calendar(name: str | None = None, method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-published-ttl", "PT1H")
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    return calendar


def feed_appointments(user: User, now: datetime | None = None) -> list[Appointment]:
    """The user's own appointments for the feed: live or held ones from 30 days ago to a year
    ahead, and ones cancelled in the last 30 days (so calendar apps remove them)."""
    now = now or timezone.now()
    if user.role == Role.PATIENT:
        mine = Appointment.objects.filter(patient=user)
    elif user.role == Role.THERAPIST:
        mine = Appointment.objects.filter(therapist=user)
    else:
        return []
    window = mine.filter(start__gte=now - FEED_PAST, start__lt=now + FEED_FUTURE)
    shown = window.filter(status__in=FEED_STATUSES) | window.filter(
        status=AppointmentStatus.CANCELLED, cancelled_at__gte=now - FEED_PAST
    )
    return list(shown.select_related("therapist", "patient").order_by("start"))


def feed_calendar(user: User, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    calendar = _calendar(name="IPT Online sessions")
    for appointment in feed_appointments(user, now):
        calendar.add_component(event_for(appointment, user, now=now))
    return calendar.to_ical()


def invitation(appointments: Iterable[Appointment], recipient: User, method: str) -> bytes:
    """An iTIP message for the recipient's calendar: REQUEST (booked) or CANCEL."""
    assert method in ("REQUEST", "CANCEL")
    now = timezone.now()
    calendar = _calendar(method=method)
    _name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    for appointment in appointments:
        event = event_for(appointment, recipient, now=now)
        if method == "CANCEL":
            event.pop("status")
            event.add("status", "CANCELLED")
            event.pop("sequence")
            event.add("sequence", max(1, sequence(appointment)))
        organizer = vCalAddress(f"mailto:{from_address}")
        organizer.params["cn"] = vText("IPT Online")
        event.add("organizer", organizer)
        attendee = vCalAddress(f"mailto:{recipient.email}")
        attendee.params["cn"] = vText(recipient.display_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee)
        calendar.add_component(event)
    return calendar.to_ical()
