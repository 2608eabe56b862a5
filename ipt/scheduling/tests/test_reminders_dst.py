"""Reminders across a daylight-saving change (quality target R6): a patient books a session for the
day after a DST change, with the therapist in another zone; the 24-hour reminder falls on the other
side of the change. It must be queued exactly 24 h (and 1 h) of real elapsed time before the
session, not at "the same wall-clock time the day before" (an hour early or late), and each email
gives the time in its recipient's zone.

The dates are found from the zone rules at run time (the next change at least a few days away), so
the test keeps working whatever the date; the booking horizon is widened to reach them.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from ipt.scheduling import notifications
from ipt.scheduling.actions import book_appointment
from ipt.scheduling.models import Appointment
from ipt.scheduling.tasks import send_reminder
from ipt.scheduling.tests.conftest import set_profile, working_week
from ipt.scheduling.tests.test_reminders import queued

pytestmark = pytest.mark.django_db(transaction=True)


def next_change(zone: str, after: datetime, forward: bool) -> datetime:
    """The first instant after ``after`` when ``zone``'s UTC offset goes up (forward) or down."""
    tz = ZoneInfo(zone)
    hour = after.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    for _ in range(24 * 800):
        before, then = hour.astimezone(tz).utcoffset(), (hour + timedelta(hours=1)).astimezone(tz).utcoffset()
        if before != then and (then > before) == forward:
            return hour + timedelta(hours=1)
        hour += timedelta(hours=1)
    raise AssertionError(f"no DST change found in {zone}")


@dataclass(frozen=True)
class Case:
    """The patient's zone changes its clocks (forward or back); the therapist's zone is where it
    is already the next day, so a 09:00 session there is the day after the change."""

    patient_zone: str
    therapist_zone: str
    forward: bool
    wall_clock_gap_hours: int  # what the patient's clock shows between reminder and session


CASES = {
    # New York springs forward (02:00 EST -> 03:00 EDT); Tokyo keeps JST.
    "spring_forward_new_york_tokyo": Case("America/New_York", "Asia/Tokyo", True, 25),
    # London falls back (02:00 BST -> 01:00 GMT); Auckland keeps its offset that week.
    "fall_back_london_auckland": Case("Europe/London", "Pacific/Auckland", False, 23),
}


def session_after(change: datetime, therapist_zone: str) -> datetime:
    """09:00 on the therapist's first day after the change whose 09:00 falls within 24 h of it."""
    tz = ZoneInfo(therapist_zone)
    day: date = change.astimezone(tz).date()
    while True:
        start = datetime(day.year, day.month, day.day, 9, tzinfo=tz).astimezone(UTC)
        if change < start:
            assert start - change < timedelta(hours=24), "the 24-hour reminder would not cross the change"
            return start
        day += timedelta(days=1)


def local(instant: datetime, zone: str) -> str:
    return date_format(instant.astimezone(ZoneInfo(zone)), "H:i T \\o\\n l j F Y")


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_reminders_across_a_dst_change_are_24_and_1_hours_of_real_time_before_and_in_each_zone(
    case, settings, personas, mailbox, course
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.IPT_REMINDER_OFFSETS_MINUTES = [1440, 60]
    change = next_change(case.patient_zone, timezone.now() + timedelta(days=3), case.forward)
    start = session_after(change, case.therapist_zone)
    personas.patient.time_zone = case.patient_zone
    personas.patient.save(update_fields=["time_zone"])
    personas.therapist.time_zone = case.therapist_zone
    personas.therapist.save(update_fields=["time_zone"])
    working_week(personas.therapist, weekdays=range(7))
    set_profile(personas.therapist, session_minutes=50, minimum_notice_hours=12, booking_horizon_days=800)

    appointment = book_appointment(
        actor=personas.patient, therapist=personas.therapist, patient=personas.patient, start=start
    )

    day_before, hour_before = start - timedelta(hours=24), start - timedelta(hours=1)
    assert queued() == [
        (str(appointment.pk), 1440, start.isoformat(), day_before),
        (str(appointment.pk), 60, start.isoformat(), hour_before),
    ]
    # The 24-hour reminder is on the other side of the change: the patient's clock shows 23 or
    # 25 hours between it and the session, but 24 hours of real time pass.
    assert day_before < change < start
    patient_tz = ZoneInfo(case.patient_zone)
    assert day_before.astimezone(patient_tz).utcoffset() != start.astimezone(patient_tz).utcoffset()
    wall = start.astimezone(patient_tz).replace(tzinfo=None) - day_before.astimezone(patient_tz).replace(
        tzinfo=None
    )
    assert wall == timedelta(hours=case.wall_clock_gap_hours)
    # And the instants the reminder function computes agree, from any "now" before them.
    assert notifications.reminder_times(
        Appointment.objects.get(pk=appointment.pk), now=day_before - timedelta(seconds=1)
    ) == [(1440, day_before), (60, hour_before)]

    before = len(mailbox.messages)
    assert send_reminder.call(str(appointment.pk), 1440, start.isoformat()) == "sent"
    reminders = mailbox.messages[before:]
    (to_patient,) = [m for m in reminders if personas.patient.email in m["X-Envelope-To"]]
    (to_therapist,) = [m for m in reminders if personas.therapist.email in m["X-Envelope-To"]]
    patient_text, therapist_text = mailbox.body(to_patient), mailbox.body(to_therapist)
    patient_time = local(start, case.patient_zone)
    therapist_time = local(start, case.therapist_zone)
    assert f"starts at {patient_time}" in patient_text
    assert f"starts at {therapist_time}" in therapist_text
    assert therapist_time.startswith("09:00") and "09:00" not in patient_text
    # The session is on the therapist's day after the change; the patient's zone is already on
    # its new offset, e.g. EDT rather than EST, GMT rather than BST.
    new_abbreviation = start.astimezone(patient_tz).tzname()
    old_abbreviation = day_before.astimezone(patient_tz).tzname()
    assert new_abbreviation != old_abbreviation
    assert f" {new_abbreviation} " in patient_time and old_abbreviation not in patient_text
