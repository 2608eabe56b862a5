"""The diary's road to the database: every query starts from the acting user's care teams.

Readers: the course's patient, therapist and supervisor (``ipt.care.access.courses_for``). Only the
patient writes (``ipt.practice.diary_actions``). "Missing" and "not yours" look the same (Http404).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from ipt.accounts.models import User
from ipt.care.access import courses_for, my_course_or_404
from ipt.care.models import TreatmentCourse
from ipt.practice import diary_stats
from ipt.practice.models import DiaryEntry
from ipt.visits.models import Encounter, EncounterStatus

DEFAULT_PERIOD_DAYS = 7


def diary_entries_for(user: User, course: TreatmentCourse) -> QuerySet[DiaryEntry]:
    """The course's entries, newest first, with their interactions and people."""
    return DiaryEntry.objects.filter(course=course, course__in=courses_for(user)).prefetch_related(
        "interactions__person"
    )


def get_my_diary_entry(user: User, day: date) -> DiaryEntry | None:
    """The patient's own entry for ``day`` on their current course (None when there is none)."""
    course = my_course_or_404(user)
    return diary_entries_for(user, course).filter(day=day).first()


def as_days(entries) -> list[diary_stats.Day]:
    """Entries as the plain data ``diary_stats`` and ``diary_chart`` work on."""
    days = []
    for entry in entries:
        contacts = []
        for interaction in entry.interactions.all():
            if interaction.person_id is not None:
                key, name = str(interaction.person_id), interaction.person.name
            else:
                name = " ".join(interaction.other_person.split()) or "Someone"
                key = diary_stats.other_key(name)
            contacts.append(diary_stats.Contact(key, name, interaction.feeling, interaction.what_happened))
        days.append(diary_stats.Day(entry.day, entry.mood, tuple(contacts)))
    return sorted(days, key=lambda d: d.day)


def last_session_day(user: User, course: TreatmentCourse, before: date) -> date | None:
    """The day of the course's latest held session on or before ``before``."""
    encounter = (
        Encounter.objects.filter(course=course, course__in=courses_for(user), status=EncounterStatus.FINISHED)
        .order_by("-starts_at")
        .first()
    )
    if encounter is None:
        return None
    held_on = timezone.localtime(encounter.starts_at).date()
    return held_on if held_on <= before else None


@dataclass(frozen=True)
class DiaryPeriod:
    start: date
    end: date
    last_session: date | None  # None: no session held yet, the period is the last 7 days
    days: list[diary_stats.Day]
    summary: diary_stats.Summary


def week_summary(user: User, course: TreatmentCourse, end_day: date) -> DiaryPeriod:
    """Since the last held session (that day included) up to ``end_day``; else the last 7 days."""
    session_day = last_session_day(user, course, end_day)
    start = session_day if session_day is not None else end_day - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    entries = diary_entries_for(user, course).filter(day__gte=start, day__lte=end_day)
    days = as_days(entries)
    return DiaryPeriod(start, end_day, session_day, days, diary_stats.summarise(days, start, end_day))
