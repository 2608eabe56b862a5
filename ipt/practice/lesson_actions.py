"""Assigning lessons and tracking how far the patient got.

The course's therapist assigns and unassigns; the patient opens and completes. Each change is one
transaction with one audit event. The note is the therapist's words for the patient: it is
encrypted and never copied into the audit detail.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_patient, require_therapist
from ipt.care.models import ACTIVE_STATUSES, TreatmentCourse
from ipt.practice.lessons import get_lesson
from ipt.practice.models import LessonAssignment

NOTE_MAX_LENGTH = 300


def _require_open_course(course: TreatmentCourse) -> None:
    if course.status not in ACTIVE_STATUSES:
        raise ValidationError("This course has ended; its lessons can no longer change.")


def assign_lesson(
    *, actor: User, course: TreatmentCourse, lesson: str, note: str = "", request=None
) -> LessonAssignment:
    """Give the patient a lesson, with an optional sentence saying why."""
    require_therapist(actor, course)
    _require_open_course(course)
    if get_lesson(lesson) is None:
        raise ValidationError({"lesson": "Choose a lesson from the list."})
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": f"Keep the note to one sentence of at most {NOTE_MAX_LENGTH} characters."}
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                assignment = LessonAssignment.objects.create(
                    course=course, lesson=lesson, assigned_by=actor, note=note
                )
        except IntegrityError:
            raise ValidationError({"lesson": "This lesson is already assigned."}) from None
        record(
            actor=actor,
            action="lessons.assign",
            target=assignment,
            patient=course.care_team.patient,
            request=request,
            detail={"lesson": lesson},
        )
    return assignment


def unassign_lesson(*, actor: User, assignment: LessonAssignment, request=None) -> None:
    """Take a lesson back; the patient can still read it, it just is no longer on their list."""
    course = assignment.course
    require_therapist(actor, course)
    _require_open_course(course)
    with transaction.atomic():
        record(
            actor=actor,
            action="lessons.unassign",
            target=assignment,
            patient=course.care_team.patient,
            request=request,
            detail={
                "lesson": assignment.lesson,
                "was_opened": assignment.opened_at is not None,
                "was_completed": assignment.completed_at is not None,
            },
        )
        LessonAssignment.objects.filter(pk=assignment.pk).delete()


def mark_lesson_opened(*, actor: User, assignment: LessonAssignment, request=None) -> LessonAssignment:
    """The first time the patient opens an assigned lesson (later openings change nothing)."""
    require_patient(actor, assignment.course)
    with transaction.atomic():
        locked = LessonAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.opened_at is None:
            locked.opened_at = timezone.now()
            locked.save(update_fields=["opened_at"])
            record(
                actor=actor,
                action="lessons.open",
                target=locked,
                patient=actor,
                request=request,
                detail={"lesson": locked.lesson},
            )
    assignment.opened_at = locked.opened_at
    return assignment


def mark_lesson_completed(*, actor: User, assignment: LessonAssignment, request=None) -> LessonAssignment:
    """The patient has read the lesson ("Mark as read"); marking it again changes nothing."""
    require_patient(actor, assignment.course)
    with transaction.atomic():
        locked = LessonAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.completed_at is None:
            now = timezone.now()
            locked.completed_at = now
            locked.opened_at = locked.opened_at or now
            locked.save(update_fields=["opened_at", "completed_at"])
            record(
                actor=actor,
                action="lessons.complete",
                target=locked,
                patient=actor,
                request=request,
                detail={"lesson": locked.lesson},
            )
    assignment.opened_at, assignment.completed_at = locked.opened_at, locked.completed_at
    return assignment
