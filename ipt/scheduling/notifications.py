"""What happens after a booking change commits: emails with .ics, reminders queued, and an open
waiting room told.

The booking actions call these on commit. A mail server or queue that is down is logged and does
not undo or fail the booking (it has already been saved).
"""

import logging
import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ipt.scheduling import emails
from ipt.scheduling.models import Appointment
from ipt.scheduling.tasks import send_reminder
from ipt.telehealth import events

logger = logging.getLogger(__name__)


def appointments_booked(appointments) -> None:
    appointments = list(appointments)
    _safely(emails.send_booked, appointments, what="booking email")
    for appointment in appointments:
        _safely(schedule_reminders, appointment, what="reminders")


def appointment_cancelled(appointment) -> None:
    # Its queued reminders stay queued and find it cancelled when they run.
    _safely(emails.send_cancelled, appointment, what="cancellation email")
    _safely(events.appointment_cancelled, appointment, what="waiting-room notice")


def appointment_rescheduled(old, new) -> None:
    # The old time's reminders find it cancelled (or moved) when they run; the new one gets its own.
    _safely(emails.send_rescheduled, old, new, what="rescheduling email")
    _safely(events.appointment_cancelled, old, what="waiting-room notice")
    _safely(schedule_reminders, new, what="reminders")


def reminder_times(appointment: Appointment, now: datetime | None = None) -> list[tuple[int, datetime]]:
    """(offset in minutes, when to send) for each configured offset still ahead, on whole seconds
    rounded up (the RQ scheduler keeps whole seconds, so never early)."""
    now = now or timezone.now()
    due_times = []
    for offset in sorted(set(settings.IPT_REMINDER_OFFSETS_MINUTES), reverse=True):
        due = appointment.start - timedelta(minutes=offset)
        due = datetime.fromtimestamp(math.ceil(due.timestamp()), tz=UTC)
        if due > now:
            due_times.append((offset, due))
    return due_times


def schedule_reminders(appointment: Appointment, now: datetime | None = None) -> list:
    if not appointment.is_live:
        return []
    start_iso = appointment.start.astimezone(UTC).isoformat()
    return [
        send_reminder.using(run_after=due).enqueue(str(appointment.pk), offset, start_iso)
        for offset, due in reminder_times(appointment, now)
    ]


def _safely(function, *args, what: str) -> None:
    try:
        function(*args)
    except Exception:
        logger.exception("Could not send the %s", what)
