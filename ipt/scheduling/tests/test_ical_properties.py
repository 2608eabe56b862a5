"""R7, parsing: the calendar feed (.ics) a calendar app reads, with any names and any instants.

Whatever the people's names (commas, semicolons, backslashes, new lines, emoji, long) and wherever
the sessions fall in the feed's window (across DST changes, at odd seconds), the feed parses back
(icalendar) to one event per session with the session's exact UTC instants and a summary naming
the other person as the feed's owner should see them; every content line is folded within 75
octets and ends in CRLF (RFC 5545 3.1).
"""

from datetime import UTC, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from ipt.scheduling import ical
from ipt.scheduling.tests.conftest import add_appointment

pytestmark = pytest.mark.django_db

NAMES = st.text(st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from(",;:\\\n\"'"), max_size=60)
OFFSETS = st.lists(
    st.integers(min_value=60, max_value=364 * 24 * 60 * 60).map(lambda seconds: timedelta(seconds=seconds)),
    min_size=1,
    max_size=4,
    unique=True,
)


def events(body: bytes) -> list:
    return [component for component in Calendar.from_ical(body).walk("VEVENT")]


def test_the_feed_parses_back_to_the_sessions_with_any_names_and_instants(personas):
    patient, therapist = personas.patient, personas.therapist
    now = timezone.now().replace(microsecond=0)

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(first=NAMES, last=NAMES, therapist_first=NAMES, offsets=OFFSETS)
    def run(first, last, therapist_first, offsets):
        savepoint = transaction.savepoint()
        try:
            patient.first_name, patient.last_name = first.strip()[:150], last.strip()[:150]
            patient.save(update_fields=["first_name", "last_name"])
            therapist.first_name = therapist_first.strip()[:150] or "Thea"
            therapist.save(update_fields=["first_name"])
            booked = {}
            for offset in sorted(offsets):
                start = now + offset
                if all(abs(start - other) >= timedelta(hours=1) for other in booked.values()):
                    appointment = add_appointment(therapist, patient, start)
                    booked[ical.uid(appointment)] = appointment.start

            for owner in (patient, therapist):
                body = ical.feed_calendar(owner, now=now)
                for line in body.split(b"\r\n")[:-1]:
                    assert len(line) <= 75, f"unfolded line {line!r}"
                assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
                found = {str(event["uid"]): event for event in events(body)}
                assert set(found) == set(booked)
                for uid, start in booked.items():
                    event = found[uid]
                    assert event.decoded("dtstart").astimezone(UTC) == start.astimezone(UTC)
                    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=50)
                    appointment_summary = str(event["summary"])
                    assert appointment_summary.startswith("Session with ")
                    if owner == patient:
                        assert appointment_summary == f"Session with {therapist.display_name}"
                    elif patient.first_name:
                        initial = f" {patient.last_name[0]}." if patient.last_name else ""
                        assert appointment_summary == f"Session with {patient.first_name}{initial}"
                    else:
                        assert appointment_summary == "Session with your patient"
        finally:
            transaction.savepoint_rollback(savepoint)

    run()
