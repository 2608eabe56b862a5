"""Demo calendars for `seed_demo` (demo data only): working hours, time zones and appointments.

The demo therapist works in New York and their patient lives in London, so every page shows
times on two different clocks. One session starts ten minutes after seeding, so the waiting room
and the video call can be tried at once. Rows are written directly (no booking emails or
reminders for demo accounts) but never overlap a live appointment. Running it again adds nothing
that is already there.
"""

from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.care.models import TreatmentCourse
from ipt.scheduling.access import profile_of
from ipt.scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus, WeeklyHours
from ipt.scheduling.slots import local_to_utc, zone_of

ZONES = {
    "therapist@demo.test": "America/New_York",
    "patient@demo.test": "Europe/London",
    "therapist2@demo.test": "Europe/Berlin",
    "patient2@demo.test": "Asia/Kolkata",
    "supervisor@demo.test": "America/Chicago",
}
JURISDICTIONS = {"therapist@demo.test": "US-NY, US-NJ, GB-ENG", "therapist2@demo.test": "DE, IE"}
THERAPISTS = ["therapist@demo.test", "therapist2@demo.test"]
FUTURE_SESSIONS = 3
SOON_MINUTES = 10


def _is_free(therapist: User, start: datetime, end: datetime) -> bool:
    return not Appointment.objects.filter(
        therapist=therapist, status__in=LIVE_STATUSES, start__lt=end, end__gt=start
    ).exists()


def _add(
    therapist: User, patient: User, course, start: datetime, minutes: int, **fields
) -> Appointment | None:
    end = start + timedelta(minutes=minutes)
    status = fields.get("status", AppointmentStatus.BOOKED)
    if status in LIVE_STATUSES and not _is_free(therapist, start, end):
        return None
    return Appointment.objects.create(
        therapist=therapist,
        patient=patient,
        course=course,
        start=start,
        end=end,
        created_by=therapist,
        **fields,
    )


def _hours(therapist: User) -> None:
    if not WeeklyHours.objects.filter(therapist=therapist).exists():
        for weekday in range(5):
            WeeklyHours.objects.create(therapist=therapist, weekday=weekday, starts=time(9), ends=time(17))


def _held_sessions(course: TreatmentCourse, minutes: int) -> None:
    """A fulfilled appointment for each session the course already had."""
    team = course.care_team
    for encounter in course.encounters.filter(appointment__isnull=True):
        _add(
            team.therapist,
            team.patient,
            course,
            encounter.starts_at,
            minutes,
            status=AppointmentStatus.FULFILLED,
            encounter=encounter,
            arrived_at=encounter.starts_at,
            fulfilled_at=encounter.starts_at + timedelta(minutes=minutes),
        )


def _weekly_sessions(course: TreatmentCourse, minutes: int, now: datetime) -> None:
    """The next few weekly sessions at 10:00 on the therapist's clock, from two days ahead."""
    team = course.care_team
    ahead = Appointment.objects.filter(
        course=course, status__in=LIVE_STATUSES, start__gte=now + timedelta(days=1)
    )
    if ahead.exists():
        return
    zone = zone_of(team.therapist)
    day = timezone.localdate(now, zone) + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for week in range(FUTURE_SESSIONS):
        start = local_to_utc(day + timedelta(weeks=week), time(10), zone)
        if start is not None:
            _add(team.therapist, team.patient, course, start, minutes)


def _session_soon(course: TreatmentCourse, minutes: int, now: datetime) -> None:
    """One session starting ten minutes from now, unless one is already about to start."""
    team = course.care_team
    window = Appointment.objects.filter(
        patient=team.patient,
        status__in=LIVE_STATUSES,
        start__gte=now - timedelta(minutes=minutes),
        start__lte=now + timedelta(hours=1),
    )
    if not window.exists():
        start = (now + timedelta(minutes=SOON_MINUTES)).replace(second=0, microsecond=0)
        _add(team.therapist, team.patient, course, start, minutes)


@transaction.atomic
def seed_schedule(users: dict[str, User]) -> None:
    for email, zone in ZONES.items():
        user = users.get(email)
        if user is not None and user.time_zone == "UTC":
            user.time_zone = zone
            user.save(update_fields=["time_zone"])
    for email in THERAPISTS:
        therapist = users.get(email)
        if therapist is None:
            continue
        profile = profile_of(therapist)
        if not profile.licensed_jurisdictions:
            profile.licensed_jurisdictions = JURISDICTIONS[email]
            profile.save(update_fields=["licensed_jurisdictions"])
        _hours(therapist)
    now = timezone.now().astimezone(UTC)
    for email in ("patient@demo.test", "patient2@demo.test"):
        patient = users.get(email)
        course = TreatmentCourse.objects.filter(care_team__patient=patient).order_by("-created_at").first()
        if course is None:
            continue
        minutes = profile_of(course.care_team.therapist).session_minutes
        _held_sessions(course, minutes)
        if email == "patient@demo.test":
            _session_soon(course, minutes, now)
        _weekly_sessions(course, minutes, now)
