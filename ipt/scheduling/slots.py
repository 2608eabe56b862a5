"""Open slots: the therapist's working time, minus what is booked, as aware UTC ranges.

Working hours are wall-clock times in the therapist's zone (``User.time_zone``): 09:00 stays
09:00 across daylight-saving changes. Turning a wall-clock time into an instant:
- a time that does not exist that day (the spring-forward gap) is skipped: a block boundary that
  falls in the gap moves to the first wall-clock minute after it that exists;
- a time that exists twice (the fall-back overlap) means its first occurrence (``fold=0``).
Everything after that is real elapsed time: a slot ends ``session_minutes`` after it starts, in
UTC, and the next candidate starts ``session_minutes + buffer_minutes`` after that, from the
block's start. A slot must end within its block.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from ipt.accounts.models import User
from ipt.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AvailabilityException,
    TherapistProfile,
    WeeklyHours,
)

# A gap is at most a few hours (usually one); look this far past a missing time for one that exists.
_GAP_SEARCH_MINUTES = 4 * 60


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware UTC
    end: datetime


def zone_of(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def rules_of(therapist: User) -> TherapistProfile:
    """The therapist's booking rules without writing: their profile, or the defaults (unsaved)."""
    profile = TherapistProfile.objects.filter(therapist=therapist).first()
    return profile if profile is not None else TherapistProfile(therapist=therapist)


def local_to_utc(day: date, wall_clock: time, zone: ZoneInfo) -> datetime | None:
    """The instant of a wall-clock time, or None when that time does not exist on that day."""
    naive = datetime.combine(day, wall_clock.replace(tzinfo=None, fold=0))
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        return None  # in the spring-forward gap: the round trip lands elsewhere
    return instant


def _boundary(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    """A block boundary: the wall-clock time, or the first minute after it that exists."""
    naive = datetime.combine(day, wall_clock.replace(tzinfo=None, fold=0))
    for minutes in range(_GAP_SEARCH_MINUTES + 1):
        moved = naive + timedelta(minutes=minutes)
        instant = local_to_utc(moved.date(), moved.time(), zone)
        if instant is not None:
            return instant
    return naive.replace(tzinfo=zone).astimezone(UTC)  # not reached for real zones


def _blocks(
    day: date,
    zone: ZoneInfo,
    weekly: Iterable[WeeklyHours],
    exceptions: Iterable[AvailabilityException],
) -> list[tuple[datetime, datetime]]:
    todays_exceptions = [exception for exception in exceptions if exception.date == day]
    if todays_exceptions:
        if any(not exception.is_available for exception in todays_exceptions):
            return []  # closed all day wins over any other hours that date
        hours = [(exception.starts, exception.ends) for exception in todays_exceptions]
    else:
        hours = [(block.starts, block.ends) for block in weekly if block.weekday == day.weekday()]
    blocks = []
    for starts, ends in hours:
        if starts is None or ends is None:
            continue
        block_start, block_end = _boundary(day, starts, zone), _boundary(day, ends, zone)
        if block_end > block_start:
            blocks.append((block_start, block_end))
    return sorted(blocks)


def working_blocks(therapist: User, day: date) -> list[tuple[datetime, datetime]]:
    """The day's working time (weekly hours, or that date's exception) as aware UTC ranges."""
    weekly = WeeklyHours.objects.filter(therapist=therapist, weekday=day.weekday())
    exceptions = AvailabilityException.objects.filter(therapist=therapist, date=day)
    return _blocks(day, zone_of(therapist), list(weekly), list(exceptions))


def _utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise ValueError("Give times with a time zone.")
    return value.astimezone(UTC)


def candidate_slots(
    therapist: User,
    start: datetime,
    end: datetime,
    *,
    profile: TherapistProfile,
    weekly: list[WeeklyHours] | None = None,
    exceptions: list[AvailabilityException] | None = None,
) -> list[Slot]:
    """Every slot of the working time with start in [start, end), booked or not."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    zone = zone_of(therapist)
    # Local dates that can hold a block touching the range (a day either side covers any offset).
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    if weekly is None:
        weekly = list(WeeklyHours.objects.filter(therapist=therapist))
    if exceptions is None:
        exceptions = list(
            AvailabilityException.objects.filter(therapist=therapist, date__range=(first_day, last_day))
        )
    session = timedelta(minutes=profile.session_minutes)
    step = session + timedelta(minutes=profile.buffer_minutes)
    slots: dict[datetime, Slot] = {}
    day = first_day
    while day <= last_day:
        for block_start, block_end in _blocks(day, zone, weekly, exceptions):
            candidate = block_start
            while candidate + session <= block_end:
                if start <= candidate < end:
                    slots.setdefault(candidate, Slot(candidate, candidate + session))
                candidate += step
        day += timedelta(days=1)
    return [slots[key] for key in sorted(slots)]


def overlaps(slot_start: datetime, slot_end: datetime, appointment: Appointment, buffer: timedelta) -> bool:
    """Whether a time overlaps the appointment widened by the buffer on both sides."""
    return slot_start < appointment.end + buffer and appointment.start - buffer < slot_end


def open_slots(
    therapist: User,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    for_patient: bool = True,
    ignoring: Appointment | None = None,
) -> list[Slot]:
    """Free slots with start in [start, end).

    Session length and buffer come from the therapist's profile; patients also get the minimum
    notice and the booking horizon. ``ignoring`` is the appointment being rescheduled.
    """
    now = _utc(now or timezone.now())
    profile = rules_of(therapist)
    start, end = _utc(start), _utc(end)
    earliest, latest = now, None
    if for_patient:
        earliest = now + timedelta(hours=profile.minimum_notice_hours)
        latest = now + timedelta(days=profile.booking_horizon_days)
    candidates = [
        slot
        for slot in candidate_slots(therapist, start, end, profile=profile)
        if slot.start >= earliest and (latest is None or slot.start <= latest)
    ]
    if not candidates:
        return []
    buffer = timedelta(minutes=profile.buffer_minutes)
    booked = Appointment.objects.filter(
        therapist=therapist,
        status__in=LIVE_STATUSES,
        start__lt=candidates[-1].end + buffer,
        end__gt=candidates[0].start - buffer,
    ).only("id", "start", "end")
    if ignoring is not None:
        booked = booked.exclude(pk=ignoring.pk)
    taken = list(booked)
    return [
        slot for slot in candidates if not any(overlaps(slot.start, slot.end, each, buffer) for each in taken)
    ]
