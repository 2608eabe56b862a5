"""Office hours and the automatic reply: one per out-of-hours stretch, never inside working hours.

The clock is fixed (``timezone.now`` patched) and the hours are constructed: the therapist works
Monday to Friday 09:00-17:00 in London; the patient lives in New York.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from ipt.messaging import office_hours
from ipt.messaging.access import threads_with_unread_for
from ipt.messaging.models import Message
from ipt.messaging.tests.support import send, start
from ipt.scheduling.models import AvailabilityException, WeeklyHours

pytestmark = pytest.mark.django_db

# Tuesday 3 March 2026 (London is on GMT, New York on EST: UTC-5).
TUESDAY = date(2026, 3, 3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def hours(personas):
    personas.therapist.time_zone = "Europe/London"
    personas.therapist.save(update_fields=["time_zone"])
    personas.patient.time_zone = "America/New_York"
    personas.patient.save(update_fields=["time_zone"])
    for weekday in range(5):
        WeeklyHours.objects.create(
            therapist=personas.therapist, weekday=weekday, starts=time(9), ends=time(17)
        )
    return personas


@pytest.fixture
def clock(monkeypatch):
    """clock(instant): from now on timezone.now() returns that instant."""

    def set_to(instant: datetime) -> datetime:
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_to


def auto_replies(thread) -> list[Message]:
    return list(Message.objects.filter(thread=thread, is_auto_reply=True))


def test_open_and_next_opening_follow_the_weekly_hours(hours):
    therapist = hours.therapist
    assert office_hours.is_open(therapist, at(TUESDAY, 10))
    assert not office_hours.is_open(therapist, at(TUESDAY, 17))
    assert office_hours.next_opening(therapist, at(TUESDAY, 20)) == at(TUESDAY + timedelta(days=1), 9)
    friday_evening = at(TUESDAY + timedelta(days=3), 18)
    assert office_hours.next_opening(therapist, friday_evening) == at(TUESDAY + timedelta(days=6), 9)


def test_no_automatic_reply_inside_working_hours(hours, clock):
    clock(at(TUESDAY, 10))
    thread = start(hours.patient, hours.care_team)
    send(hours.patient, thread)
    assert auto_replies(thread) == []


def test_outside_hours_the_patient_gets_one_automatic_reply_with_the_next_time_and_crisis_help(hours, clock):
    clock(at(TUESDAY, 20))
    thread = start(hours.patient, hours.care_team)
    [reply] = auto_replies(thread)
    assert reply.sender is None
    assert reply.id > thread.messages.filter(sender=hours.patient).get().id
    # Wednesday 09:00 in London is 04:00 in New York, told in the patient's zone.
    assert "04:00" in reply.body and "Wednesday 4 March 2026" in reply.body
    assert "crisis" in reply.body.lower() and "not watched around the clock" in reply.body
    assert hours.therapist.display_name in reply.body


def test_at_most_one_automatic_reply_per_out_of_hours_stretch(hours, clock):
    clock(at(TUESDAY, 20))
    thread = start(hours.patient, hours.care_team)
    clock(at(TUESDAY, 21))
    send(hours.patient, thread)
    clock(at(TUESDAY, 23, 59))
    send(hours.patient, thread)
    assert len(auto_replies(thread)) == 1


def test_another_automatic_reply_after_the_therapist_has_written(hours, clock):
    clock(at(TUESDAY, 20))
    thread = start(hours.patient, hours.care_team)
    clock(at(TUESDAY, 21))
    send(hours.therapist, thread, "A quick note tonight.")
    clock(at(TUESDAY, 22))
    send(hours.patient, thread)
    assert len(auto_replies(thread)) == 2


def test_another_automatic_reply_in_the_next_stretch(hours, clock):
    clock(at(TUESDAY, 20))
    thread = start(hours.patient, hours.care_team)
    clock(at(TUESDAY + timedelta(days=1), 20))  # 24 hours later, nobody wrote in between
    send(hours.patient, thread)
    assert len(auto_replies(thread)) == 2


def test_the_therapist_never_gets_an_automatic_reply(hours, clock):
    clock(at(TUESDAY, 22))
    thread = start(hours.therapist, hours.care_team)
    send(hours.therapist, thread)
    assert auto_replies(thread) == []


def test_a_closed_day_counts_as_outside_hours(hours, clock):
    wednesday = TUESDAY + timedelta(days=1)
    AvailabilityException.objects.create(therapist=hours.therapist, date=wednesday, is_available=False)
    clock(at(wednesday, 10))
    thread = start(hours.patient, hours.care_team)
    [reply] = auto_replies(thread)
    assert "Thursday 5 March 2026" in reply.body


def test_without_working_hours_every_stretch_gets_a_reply_with_no_time_promised(personas, clock):
    clock(at(TUESDAY, 10))
    thread = start(personas.patient, personas.care_team)
    [reply] = auto_replies(thread)
    assert "The next time is" not in reply.body
    assert "crisis" in reply.body.lower()


def test_the_automatic_reply_is_unread_for_the_patient_and_moves_the_thread(hours, clock):
    clock(at(TUESDAY, 20))
    thread = start(hours.patient, hours.care_team)
    thread.refresh_from_db()
    assert thread.last_message_at == at(TUESDAY, 20)
    assert threads_with_unread_for(hours.patient).get(pk=thread.pk).unread == 1
