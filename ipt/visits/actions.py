"""Every change to encounters, session notes and work at home: keyword-only, actor first, one
transaction, one audit event (never with clinical text in its detail).
"""

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_patient, require_therapist
from ipt.care.models import CourseStatus, HomeworkStatus, HomeworkTask, TreatmentCourse
from ipt.visits.models import Addendum, Encounter, NoteStatus, SessionNote

# Phases in which sessions are held (intake comes before the first session; ended courses have none).
SESSION_PHASES = frozenset(
    {CourseStatus.INITIAL, CourseStatus.MIDDLE, CourseStatus.TERMINATION, CourseStatus.MAINTENANCE}
)
# The note's fields that autosave writes (everything the therapist types or ticks).
NOTE_TEXT_FIELDS = (
    "mood_since_last",
    "interpersonal_events",
    "problem_area_work",
    "homework_review",
    "work_at_home",
    "risk_review",
    "plan",
    "shared_summary",
    "private_notes",
)
NOTE_VALUE_FIELDS = ("mood_rating", "problem_area_focus", "initial_tasks", "techniques", "risk_level")
# What must be written before a note can be signed, with the words used to ask for it.
REQUIRED_TO_SIGN = {
    "mood_since_last": "mood since last session",
    "shared_summary": "shared summary for the patient",
    "risk_level": "risk level",
}
NUMBERING_ATTEMPTS = 3
CHECK_IN_STATUSES = (HomeworkStatus.TRIED, HomeworkStatus.NOT_TRIED)
# List markers a therapist may type before a task ("- call Sam", "2. call Sam").
LIST_MARKER = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")


class NoteLocked(ValidationError):
    """The note is signed: it never changes again (later changes are addenda)."""

    def __init__(self) -> None:
        super().__init__("This note is signed and can no longer be changed. Add an addendum instead.")


class NoteConflict(ValidationError):
    """The draft changed since the form was loaded (another window or device): saving would overwrite it."""

    def __init__(self) -> None:
        super().__init__(
            "This note was changed in another window or on another device since this page was opened. "
            "Reload the page to see the latest version."
        )


def create_encounter(
    *, actor: User, course: TreatmentCourse, expected_number: int | None = None, request=None
) -> Encounter:
    """Start the next session of the course, with a draft note; its phase is the course's now.

    ``expected_number`` is the number the therapist saw on the page: if another session took it
    meanwhile (a second click, another window), nothing is created.
    """
    require_therapist(actor, course)
    for _attempt in range(NUMBERING_ATTEMPTS):
        try:
            return _create_numbered_encounter(actor, course, expected_number, request)
        except IntegrityError:
            # Another session took this number between our read and our insert: count again.
            continue
    raise ValidationError("Another session was being started at the same moment. Please try again.")


def _create_numbered_encounter(
    actor: User, course: TreatmentCourse, expected_number: int | None, request
) -> Encounter:
    with transaction.atomic():
        # Serialises numbering on PostgreSQL; SQLite serialises write transactions (IMMEDIATE).
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        if course.status not in SESSION_PHASES:
            raise ValidationError(_why_no_session(course))
        number = next_session_number(course)
        if expected_number is not None and number != expected_number:
            raise ValidationError(_why_not_this_number(expected_number, number))
        encounter = Encounter.objects.create(
            course=course, number=number, phase=course.status, created_by=actor
        )
        note = SessionNote.objects.create(encounter=encounter)
        record(
            actor=actor,
            action="encounter.create",
            target=encounter,
            patient=course.care_team.patient,
            request=request,
            detail={"number": encounter.number, "phase": encounter.phase, "note": str(note.pk)},
        )
    return encounter


def next_session_number(course: TreatmentCourse) -> int:
    highest = Encounter.objects.filter(course=course).aggregate(highest=Max("number"))["highest"]
    return (highest or 0) + 1


def _why_not_this_number(expected: int, number: int) -> str:
    if expected < number:
        return (
            f"Session {expected} has already been started (perhaps by a second click or in another "
            "window): it is in the list below."
        )
    return f"The next session is number {number}. Reload the page and try again."


def _why_no_session(course: TreatmentCourse) -> str:
    if course.status == CourseStatus.INTAKE:
        return "Move the course to the initial phase before starting its first session."
    return f"This course is {course.get_status_display().lower()}: no new sessions can be started."


def _locked_note(note: SessionNote) -> SessionNote:
    """The note re-read under a row lock, refusing a signed one."""
    note = SessionNote.objects.select_for_update().select_related("encounter__course").get(pk=note.pk)
    if note.is_signed:
        raise NoteLocked()
    return note


def _apply(note: SessionNote, data: dict[str, Any]) -> None:
    for name in NOTE_TEXT_FIELDS:
        setattr(note, name, data.get(name) or "")
    note.mood_rating = data.get("mood_rating")
    note.problem_area_focus = data.get("problem_area_focus")
    note.initial_tasks = list(data.get("initial_tasks") or [])
    note.techniques = list(data.get("techniques") or [])
    note.risk_level = data.get("risk_level") or ""
    note.draft_saved_at = timezone.now()
    note.save()
    note.people.set(data.get("people") or [])


def _holds(note: SessionNote, data: dict[str, Any]) -> bool:
    """Whether the note already says exactly what ``data`` says."""
    focus = data.get("problem_area_focus")
    return (
        all((getattr(note, name) or "") == (data.get(name) or "") for name in NOTE_TEXT_FIELDS)
        and note.mood_rating == data.get("mood_rating")
        and note.problem_area_focus_id == (focus.pk if focus is not None else None)
        and list(note.initial_tasks) == list(data.get("initial_tasks") or [])
        and list(note.techniques) == list(data.get("techniques") or [])
        and (note.risk_level or "") == (data.get("risk_level") or "")
        and {p.pk for p in note.people.all()} == {p.pk for p in data.get("people") or []}
    )


def _check_version(note: SessionNote, data: dict[str, Any], based_on: datetime | None) -> bool:
    """True when there is nothing to save. A form loaded before the draft last changed is refused,
    unless it says exactly what the draft says (a save that crossed a reload, sent twice).
    """
    if based_on is None or based_on == note.draft_saved_at:
        return False
    if _holds(note, data):
        return True
    raise NoteConflict()


def autosave_note(
    *,
    actor: User,
    note: SessionNote,
    data: dict[str, Any],
    based_on: datetime | None = None,
    request=None,
) -> SessionNote:
    """Save the draft as typed (``data`` is a valid NoteForm's cleaned_data). Refused once signed,
    and refused when ``based_on`` (the draft version the form was loaded with) is out of date.
    """
    require_therapist(actor, note.encounter.course)
    with transaction.atomic():
        note = _locked_note(note)
        if _check_version(note, data, based_on):
            return note
        _apply(note, data)
        record(
            actor=actor,
            action="session_note.autosave",
            target=note,
            patient=note.encounter.course.care_team.patient,
            request=request,
        )
    return note


def missing_to_sign(note: SessionNote) -> list[str]:
    return [label for name, label in REQUIRED_TO_SIGN.items() if not str(getattr(note, name) or "").strip()]


def work_at_home_lines(text: str) -> list[str]:
    """One task per non-empty line, without list markers."""
    lines = (LIST_MARKER.sub("", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def sign_note(
    *,
    actor: User,
    note: SessionNote,
    data: dict[str, Any] | None = None,
    based_on: datetime | None = None,
    request=None,
) -> SessionNote:
    """Save the final text (when given), check the required parts, lock the note, and turn each
    line of the work at home into a to-do for the patient.
    """
    course = note.encounter.course
    require_therapist(actor, course)
    with transaction.atomic():
        note = _locked_note(note)
        if data is not None and not _check_version(note, data, based_on):
            _apply(note, data)
        missing = missing_to_sign(note)
        if missing:
            raise ValidationError(f"To sign the note, fill in: {', '.join(missing)}.")
        now = timezone.now()
        note.status, note.signed_at, note.signed_by = NoteStatus.SIGNED, now, actor
        note.save(update_fields=["status", "signed_at", "signed_by"])
        tasks = HomeworkTask.objects.bulk_create(
            HomeworkTask(course=course, agreed_in=note, description=line, created_at=now)
            for line in work_at_home_lines(note.work_at_home)
        )
        record(
            actor=actor,
            action="session_note.sign",
            target=note,
            patient=course.care_team.patient,
            request=request,
            detail={"homework_tasks": len(tasks)},
        )
    return note


def add_addendum(*, actor: User, note: SessionNote, text: str, request=None) -> Addendum:
    """A later change to a signed note; the note itself stays as it was signed."""
    course = note.encounter.course
    require_therapist(actor, course)
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    with transaction.atomic():
        note = SessionNote.objects.select_for_update().get(pk=note.pk)
        if not note.is_signed:
            raise ValidationError("The note is still a draft: change the draft itself.")
        addendum = Addendum.objects.create(note=note, text=text.strip(), written_by=actor)
        record(
            actor=actor,
            action="session_note.addendum",
            target=note,
            patient=course.care_team.patient,
            request=request,
            detail={"addendum": addendum.pk},
        )
    return addendum


def check_in_homework(
    *, actor: User, task: HomeworkTask, status: str, check_in: str = "", request=None
) -> HomeworkTask:
    """The patient says how the work at home went ("I tried it" / "I didn't get to it")."""
    course = task.course
    require_patient(actor, course)
    if status not in CHECK_IN_STATUSES:
        raise ValidationError({"status": "Choose whether you tried it."})
    with transaction.atomic():
        task = HomeworkTask.objects.select_for_update().get(pk=task.pk)
        task.status, task.check_in, task.checked_in_at = status, check_in.strip(), timezone.now()
        task.save(update_fields=["status", "check_in", "checked_in_at"])
        record(
            actor=actor,
            action="homework.check_in",
            target=task,
            patient=course.care_team.patient,
            request=request,
            detail={"status": status},
        )
    return task
