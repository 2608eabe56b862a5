"""Shared fixtures for scheduling: a middle-phase course, working hours and a fixed clock.

Other helpers import from here: ``course`` (the middle-phase course of personas.care_team) and
``working_week(therapist)`` (Mon-Fri 09:00-17:00 in the therapist's own zone).
"""

from datetime import UTC, datetime, time, timedelta

import pytest

from ipt.care.models import TreatmentCourse
from ipt.scheduling.access import profile_of
from ipt.scheduling.models import Appointment, AppointmentStatus, TherapistProfile, WeeklyHours
from ipt.visits.tests.conftest import make_course


def working_week(therapist, starts=time(9), ends=time(17), weekdays=range(5)) -> list[WeeklyHours]:
    """Mon-Fri 09:00-17:00 (wall clock in the therapist's zone) unless told otherwise."""
    return [
        WeeklyHours.objects.create(therapist=therapist, weekday=weekday, starts=starts, ends=ends)
        for weekday in weekdays
    ]


def set_profile(therapist, **fields) -> TherapistProfile:
    profile = profile_of(therapist)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def next_weekday(now: datetime, weekday: int, days_ahead: int = 2) -> datetime:
    """Midnight UTC of the first given weekday at least ``days_ahead`` days after now."""
    day = (now + timedelta(days=days_ahead)).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def add_appointment(therapist, patient, start, minutes=50, status=AppointmentStatus.BOOKED, course=None):
    return Appointment.objects.create(
        therapist=therapist,
        patient=patient,
        course=course,
        start=start,
        end=start + timedelta(minutes=minutes),
        status=status,
        created_by=therapist,
    )


@pytest.fixture
def course(personas) -> TreatmentCourse:
    return make_course(personas.care_team)


@pytest.fixture
def other_course(personas) -> TreatmentCourse:
    return make_course(personas.other_care_team)


@pytest.fixture
def utc_hours(personas):
    """The therapist works Mon-Fri 09:00-17:00 UTC with 50-minute sessions and 10-minute buffers."""
    personas.therapist.time_zone = "UTC"
    personas.therapist.save(update_fields=["time_zone"])
    working_week(personas.therapist)
    return set_profile(
        personas.therapist,
        session_minutes=50,
        buffer_minutes=10,
        minimum_notice_hours=12,
        booking_horizon_days=42,
        late_cancellation_hours=24,
    )
