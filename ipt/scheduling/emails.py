"""Emails about appointments: booked, cancelled, moved, and the reminder before a session.

Each person gets their own message: times in their own zone (``User.time_zone``), "Session with
<the other person>", links back to the site, and nothing clinical. Booking messages carry an .ics
(iTIP REQUEST or CANCEL) so calendar apps add or remove the session.
"""

from datetime import datetime
from email.mime.text import MIMEText
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from ipt.accounts.models import Role, User
from ipt.scheduling import ical
from ipt.scheduling.models import Appointment


def zone_of(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(value: datetime, user: User) -> str:
    """'Tuesday 3 March 2026 at 14:00 GMT' in the user's zone."""
    local = value.astimezone(zone_of(user))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"


def time_and_day(value: datetime, user: User) -> str:
    """'14:00 GMT on Tuesday 3 March 2026' in the user's zone."""
    local = value.astimezone(zone_of(user))
    return f"{local:%H:%M} {local.tzname()} on {local:%A} {local.day} {local:%B %Y}"


def short_when(value: datetime, user: User) -> str:
    local = value.astimezone(zone_of(user))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def members(appointment: Appointment) -> list[User]:
    """Who is told: the patient and the therapist (active accounts only)."""
    return [person for person in (appointment.patient, appointment.therapist) if person.is_active]


def _ics_part(data: bytes, method: str, filename: str) -> MIMEText:
    part = MIMEText(data.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _send(recipient: User, subject: str, template: str, context: dict, attachments=()) -> None:
    body = render_to_string(
        f"scheduling/email/{template}.txt",
        {"recipient": recipient, "zone": recipient.time_zone or "UTC", **context},
    )
    message = EmailMessage(f"IPT Online: {subject}", body, None, [recipient.email])
    for part in attachments:
        message.attach(part)
    message.send()


def send_booked(appointments: list[Appointment]) -> None:
    """One email per person with every session just booked (a weekly series is one email)."""
    if not appointments:
        return
    first = appointments[0]
    for recipient in members(first):
        sessions = [{"when": when(a.start, recipient), "link": ical.appointment_url(a)} for a in appointments]
        count = len(appointments)
        subject = (
            f"session booked for {short_when(first.start, recipient)}"
            if count == 1
            else f"{count} sessions booked from {short_when(first.start, recipient)}"
        )
        ics = ical.invitation(appointments, recipient, "REQUEST")
        _send(
            recipient,
            subject,
            "booked",
            {"other": ical.other_party_name(first, recipient), "sessions": sessions},
            [_ics_part(ics, "REQUEST", "session.ics" if count == 1 else "sessions.ics")],
        )


def send_cancelled(appointment: Appointment) -> None:
    for recipient in members(appointment):
        ics = ical.invitation([appointment], recipient, "CANCEL")
        _send(
            recipient,
            f"session on {short_when(appointment.start, recipient)} cancelled",
            "cancelled",
            {
                "other": ical.other_party_name(appointment, recipient),
                "when": when(appointment.start, recipient),
                "link": ical.appointment_url(appointment),
            },
            [_ics_part(ics, "CANCEL", "cancelled.ics")],
        )


def send_rescheduled(old: Appointment, new: Appointment) -> None:
    for recipient in members(new):
        _send(
            recipient,
            f"session moved to {short_when(new.start, recipient)}",
            "rescheduled",
            {
                "other": ical.other_party_name(new, recipient),
                "old_when": when(old.start, recipient),
                "new_when": when(new.start, recipient),
                "link": ical.appointment_url(new),
            },
            [
                _ics_part(ical.invitation([old], recipient, "CANCEL"), "CANCEL", "cancelled.ics"),
                _ics_part(ical.invitation([new], recipient, "REQUEST"), "REQUEST", "session.ics"),
            ],
        )


def send_reminder(appointment: Appointment) -> None:
    for recipient in members(appointment):
        is_patient = recipient.role == Role.PATIENT
        join = reverse("join_session", args=[appointment.pk]) if is_patient else reverse("schedule")
        _send(
            recipient,
            f"your session starts at {short_when(appointment.start, recipient)}",
            "reminder",
            {
                "other": ical.other_party_name(appointment, recipient),
                "when": time_and_day(appointment.start, recipient),
                "is_patient": is_patient,
                "join_link": settings.SITE_URL + join,
                "device_check_link": settings.SITE_URL + reverse("device_check"),
                "link": ical.appointment_url(appointment),
            },
        )
