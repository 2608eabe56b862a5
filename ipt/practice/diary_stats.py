"""The diary's numbers, from plain data (no database): what the charts and the summary show.

IPT links mood and people: the mood on each day, the interactions marked on it, and for each
person the mean mood on days with contact against days without. A day counts once per person,
however many interactions with them it had.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean

FEELINGS = ("good", "mixed", "bad")
# A least-squares slope of at least this many mood points per week reads as a change; fewer days
# than MIN_TREND_DAYS say nothing about a trend.
TREND_THRESHOLD_PER_WEEK = 1.0
MIN_TREND_DAYS = 3


@dataclass(frozen=True)
class Contact:
    """One interaction: ``key`` identifies the person (an inventory id, or ``other:<name>``)."""

    key: str
    name: str
    feeling: str
    what_happened: str = ""


@dataclass(frozen=True)
class Day:
    day: date
    mood: int
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class PersonStats:
    key: str
    name: str
    days_with: int
    days_without: int
    mean_with: float | None
    mean_without: float | None
    feelings: dict[str, int] = field(default_factory=dict)

    @property
    def interactions(self) -> int:
        return sum(self.feelings.values())

    @property
    def difference(self) -> float | None:
        """Mean mood with contact minus without (None when either side has no days)."""
        if self.mean_with is None or self.mean_without is None:
            return None
        return round(self.mean_with - self.mean_without, 1)


@dataclass(frozen=True)
class Summary:
    start: date
    end: date
    days_in_period: int
    days_logged: int
    mood_mean: float | None
    mood_min: int | None
    mood_max: int | None
    trend_per_week: float | None
    trend: str  # "rising", "falling", "steady" or "" (too few days)
    interactions: int
    feelings: dict[str, int]
    people: list[PersonStats]


def other_key(name: str) -> str:
    """The key of someone not in the inventory: the same name (any case or spacing) is one person."""
    return "other:" + " ".join(name.split()).casefold()


def _sorted(days: Iterable[Day]) -> list[Day]:
    return sorted(days, key=lambda d: d.day)


def mood_by_day(days: Iterable[Day]) -> list[tuple[date, int]]:
    return [(d.day, d.mood) for d in _sorted(days)]


def events_per_day(days: Iterable[Day]) -> list[tuple[date, int]]:
    return [(d.day, len(d.contacts)) for d in _sorted(days)]


def _mean(values: Sequence[int]) -> float | None:
    return round(fmean(values), 1) if values else None


def person_stats(days: Iterable[Day]) -> list[PersonStats]:
    """Per person: days with and without contact and the mean mood on each; most contact first."""
    days = _sorted(days)
    names: dict[str, str] = {}
    feelings: dict[str, dict[str, int]] = {}
    for d in days:
        for contact in d.contacts:
            names.setdefault(contact.key, contact.name)
            counts = feelings.setdefault(contact.key, dict.fromkeys(FEELINGS, 0))
            if contact.feeling in counts:
                counts[contact.feeling] += 1
    result = []
    for key, name in names.items():
        with_contact = [d.mood for d in days if any(c.key == key for c in d.contacts)]
        without = [d.mood for d in days if all(c.key != key for c in d.contacts)]
        result.append(
            PersonStats(
                key=key,
                name=name,
                days_with=len(with_contact),
                days_without=len(without),
                mean_with=_mean(with_contact),
                mean_without=_mean(without),
                feelings=feelings[key],
            )
        )
    result.sort(key=lambda p: (-p.days_with, p.name.casefold()))
    return result


def trend_per_week(days: Iterable[Day]) -> float | None:
    """The least-squares slope of mood against the date, in points per week (None under 3 days)."""
    points = [(d.day.toordinal(), d.mood) for d in _sorted(days)]
    if len({x for x, _ in points}) < MIN_TREND_DAYS:
        return None
    mean_x = fmean(x for x, _ in points)
    mean_y = fmean(y for _, y in points)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in points)
    variance = sum((x - mean_x) ** 2 for x, _ in points)
    return round(covariance / variance * 7, 1)


def trend_word(slope: float | None) -> str:
    if slope is None:
        return ""
    if slope >= TREND_THRESHOLD_PER_WEEK:
        return "rising"
    if slope <= -TREND_THRESHOLD_PER_WEEK:
        return "falling"
    return "steady"


def summarise(days: Iterable[Day], start: date, end: date) -> Summary:
    """The period's summary: only days from ``start`` to ``end`` (both included) count."""
    period = [d for d in _sorted(days) if start <= d.day <= end]
    moods = [d.mood for d in period]
    slope = trend_per_week(period)
    feelings = dict.fromkeys(FEELINGS, 0)
    for d in period:
        for contact in d.contacts:
            if contact.feeling in feelings:
                feelings[contact.feeling] += 1
    return Summary(
        start=start,
        end=end,
        days_in_period=max(0, (end - start).days + 1),
        days_logged=len(period),
        mood_mean=_mean(moods),
        mood_min=min(moods) if moods else None,
        mood_max=max(moods) if moods else None,
        trend_per_week=slope,
        trend=trend_word(slope),
        interactions=sum(len(d.contacts) for d in period),
        feelings=feelings,
        people=person_stats(period),
    )
