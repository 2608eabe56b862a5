"""Writing the diary: only the patient, on their own course, for today or the last 30 days.

Saving replaces that day's entry and all its interactions in one transaction. Every write is
audited; audit details hold the day and counts, never the patient's words.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_patient
from ipt.care.models import InventoryPerson, TreatmentCourse
from ipt.practice.models import DiaryEntry, DiaryInteraction, Feeling

EDIT_WINDOW_DAYS = 30
MAX_INTERACTIONS = 3
NOTE_MAX = 2_000
NAME_MAX = 100
WHAT_MAX = 500
MOOD_ERROR = "Mood is a whole number from 0 (worst) to 10 (best)."


@dataclass(frozen=True)
class InteractionInput:
    """One interaction as the form gives it: an inventory person, or another person's name."""

    feeling: str
    person: InventoryPerson | None = None
    other_person: str = ""
    what_happened: str = ""


def today(course: TreatmentCourse | None = None) -> date:
    """The patient's own calendar day (their time zone): a diary day is the day they lived."""
    if course is None:
        return timezone.localdate()
    return timezone.localdate(timezone=ZoneInfo(course.care_team.patient.time_zone))


def is_editable_day(day: date, course: TreatmentCourse | None = None) -> bool:
    """Today and the 30 days before it; older days are read-only, future days do not exist yet."""
    now = today(course)
    return now - timedelta(days=EDIT_WINDOW_DAYS) <= day <= now


def _check_day(course: TreatmentCourse, day: date) -> None:
    if not course.is_active:
        raise ValidationError("This course has ended, so the diary can no longer be changed.")
    if not isinstance(day, date):
        raise ValidationError({"day": "Give a day as YYYY-MM-DD."})
    if day > today(course):
        raise ValidationError({"day": "That day has not come yet: the diary is for today and past days."})
    if not is_editable_day(day, course):
        raise ValidationError(
            {"day": f"Days more than {EDIT_WINDOW_DAYS} days ago can be read but no longer changed."}
        )


def _check_interaction(course: TreatmentCourse, interaction: InteractionInput) -> str | None:
    other = " ".join(interaction.other_person.split())
    if interaction.person is not None and other:
        return "Choose someone from your list or write a name, not both."
    if interaction.person is None and not other:
        return "Say who the interaction was with."
    if interaction.person is not None and (
        interaction.person.course_id != course.pk or interaction.person.is_removed
    ):
        return "Choose someone from your list of people, or “someone else” with a name."
    if len(other) > NAME_MAX:
        return f"Keep the name under {NAME_MAX} characters."
    if len(interaction.what_happened) > WHAT_MAX:
        return f"Keep “what happened” under {WHAT_MAX} characters."
    if interaction.feeling not in Feeling.values:
        return "Choose how it felt: good, mixed or bad."
    return None


def save_diary_entry(
    *,
    actor: User,
    course: TreatmentCourse,
    day: date,
    mood: int,
    note: str = "",
    interactions: Sequence[InteractionInput] = (),
    request=None,
) -> DiaryEntry:
    """Create or replace the entry for ``day`` with this mood, note and interactions."""
    require_patient(actor, course)
    _check_day(course, day)
    errors: dict[str, list[str]] = {}
    if isinstance(mood, bool) or not isinstance(mood, int) or not 0 <= mood <= 10:
        errors.setdefault("mood", []).append(MOOD_ERROR)
    if len(note) > NOTE_MAX:
        errors.setdefault("note", []).append(f"Keep the note under {NOTE_MAX:,} characters.")
    if len(interactions) > MAX_INTERACTIONS:
        errors.setdefault("interactions", []).append(f"Note at most {MAX_INTERACTIONS} interactions a day.")
    for number, interaction in enumerate(interactions, start=1):
        problem = _check_interaction(course, interaction)
        if problem:
            errors.setdefault("interactions", []).append(f"Interaction {number}: {problem}")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Serialise writes to this course's diary, so two saves of a new day cannot collide.
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        now = timezone.now()
        entry = DiaryEntry.objects.filter(course=course, day=day).first()
        created = entry is None
        if entry is None:
            entry = DiaryEntry(course=course, day=day, created_at=now)
        entry.mood = mood
        entry.note = note.strip()
        entry.updated_at = now
        entry.save()
        DiaryInteraction.objects.filter(entry=entry).delete()
        DiaryInteraction.objects.bulk_create(
            DiaryInteraction(
                entry=entry,
                person=interaction.person,
                other_person="" if interaction.person else " ".join(interaction.other_person.split()),
                what_happened=interaction.what_happened.strip(),
                feeling=interaction.feeling,
            )
            for interaction in interactions
        )
        record(
            actor=actor,
            action="diary.create" if created else "diary.replace",
            target=entry,
            patient=course.care_team.patient,
            request=request,
            detail={"day": day.isoformat(), "interactions": len(interactions)},
        )
    return entry


def delete_diary_entry(*, actor: User, course: TreatmentCourse, day: date, request=None) -> None:
    """Delete the entry for ``day`` and its interactions."""
    require_patient(actor, course)
    _check_day(course, day)
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        entry = DiaryEntry.objects.filter(course=course, day=day).first()
        if entry is None:
            raise ValidationError({"day": "There is no entry for that day."})
        record(
            actor=actor,
            action="diary.delete",
            target=entry,
            patient=course.care_team.patient,
            request=request,
            detail={"day": day.isoformat()},
        )
        entry.delete()
