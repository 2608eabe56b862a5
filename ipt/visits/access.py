"""The only road to encounters, session notes and work at home: every query starts from the course
the acting user may see (``ipt.care.access.get_course_for``).

Who reads what:
- the course's therapist: every field of every note, including the private psychotherapy notes;
- the therapist's supervisor: every note (read only) except the private psychotherapy notes, which
  are the therapist's own process notes;
- the patient: never a note itself; only the shared summary of a signed note
  (``shared_summaries_for``) and their own work-at-home tasks.
"""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ipt.accounts.models import Role, User
from ipt.care.access import (
    courses_for,
    current_course_of_patient,
    homework_for,
    is_course_therapist,
    my_course_or_404,
)
from ipt.care.models import CourseStatus, HomeworkStatus, HomeworkTask, TreatmentCourse
from ipt.lib.prepared import instances
from ipt.visits.models import Encounter, NoteStatus, SessionNote

STAFF_ROLES = (Role.THERAPIST, Role.SUPERVISOR)


def phase_label(phase: str) -> str:
    return CourseStatus(phase).label if phase in CourseStatus.values else phase


def may_read_private_notes(user: User, course: TreatmentCourse) -> bool:
    """Psychotherapy notes are for the course's therapist only (not the supervisor, never the patient)."""
    return is_course_therapist(user, course)


def encounters_for(user: User, course: TreatmentCourse) -> QuerySet[Encounter]:
    """Staff only: the list carries each note's status."""
    if user.role not in STAFF_ROLES:
        return Encounter.objects.none()
    encounters = Encounter.objects.filter(course=course, course__in=courses_for(user))
    return encounters.select_related("note").defer(*_note_text_fields("note__"))


def _note_text_fields(prefix: str = "") -> list[str]:
    """Every free-text field of a note, so lists can skip decrypting what they do not show."""
    return [
        f"{prefix}{name}"
        for name in (
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
    ]


def get_encounter_for(user: User, course: TreatmentCourse, encounter_id) -> Encounter:
    try:
        return encounters_for(user, course).get(pk=encounter_id)
    except (Encounter.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such session.") from None


def get_note_for(user: User, course: TreatmentCourse, encounter_id) -> SessionNote:
    """The note of one session, for staff. Private notes are not even loaded for the supervisor."""
    if user.role not in STAFF_ROLES:
        raise Http404("No such session note.")
    notes = SessionNote.objects.filter(
        encounter__course=course, encounter__course__in=courses_for(user)
    ).select_related("encounter", "problem_area_focus", "signed_by")
    if not may_read_private_notes(user, course):
        notes = notes.defer("private_notes")
    try:
        return notes.get(encounter_id=encounter_id)
    except (SessionNote.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such session note.") from None


def shared_summaries_for(user: User, course: TreatmentCourse) -> list[dict]:
    """What the patient sees of their sessions: number, date and shared summary of SIGNED notes.

    Only these columns are read (``values``), so no other note field is ever loaded for them.
    """
    notes = SessionNote.objects.filter(
        encounter__course=course, encounter__course__in=courses_for(user), status=NoteStatus.SIGNED
    )
    rows = notes.order_by("-encounter__number").values(
        "encounter__number", "encounter__starts_at", "shared_summary", "signed_at"
    )
    return [
        {
            "number": row["encounter__number"],
            "starts_at": row["encounter__starts_at"],
            "summary": row["shared_summary"],
            "signed_at": row["signed_at"],
        }
        for row in rows
    ]


def homework_with_sessions_for(user: User, course: TreatmentCourse) -> QuerySet[HomeworkTask]:
    """Work-at-home tasks with the session that agreed them (only the session's number is loaded)."""
    return (
        homework_for(user, course)
        .select_related("agreed_in__encounter")
        .only(
            "id",
            "course_id",
            "agreed_in_id",
            "description",
            "status",
            "check_in",
            "checked_in_at",
            "created_at",
            "agreed_in__id",
            "agreed_in__encounter__id",
            "agreed_in__encounter__number",
            "agreed_in__encounter__starts_at",
        )
    )


def homework_to_review(user: User, note: SessionNote) -> list[HomeworkTask]:
    """What to review in this session: the previous session's tasks, and any older task still open.

    Shown on the note page, so the therapist sees the patient's check-ins before and during the
    next session. Tasks agreed in this session or later ones are not part of its review.
    """
    encounter = note.encounter
    cutoff = note.signed_at or timezone.now()
    earlier = homework_with_sessions_for(user, encounter.course).filter(
        Q(agreed_in__encounter__number__lt=encounter.number)
        | Q(agreed_in__isnull=True, created_at__lte=cutoff)
    )
    previous = (
        Encounter.objects.filter(course=encounter.course, number__lt=encounter.number)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    wanted = Q(status=HomeworkStatus.OPEN)
    if previous is not None:
        wanted |= Q(agreed_in__encounter__number=previous)
    return list(earlier.filter(wanted).order_by("created_at"))


def get_my_homework(user: User, task_id) -> tuple[TreatmentCourse, HomeworkTask]:
    """A patient's own task in their current course; anything else is 404."""
    course = my_course_or_404(user)
    try:
        return course, homework_with_sessions_for(user, course).get(pk=task_id)
    except (HomeworkTask.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such to-do.") from None


def open_todos_for_patient(user: User, course: TreatmentCourse | None = None) -> list[HomeworkTask]:
    """The patient's open work-at-home tasks for the home page (empty for anyone else).

    Pass the patient's current course when the caller has it already (saves a query).
    """
    if user.role != Role.PATIENT:
        return []
    course = course or current_course_of_patient(user)
    if course is None:
        return []
    if not user.is_authenticated or not user.is_active:
        return []
    return instances(_open_todos, course.pk, user.pk)  # on the patient's home page: compiled once


def _open_todos(course_id, patient_id) -> QuerySet[HomeworkTask]:
    courses = TreatmentCourse.objects.filter(care_team__patient=patient_id)
    tasks = HomeworkTask.objects.filter(course=course_id, course__in=courses, status=HomeworkStatus.OPEN)
    return tasks.only("id", "course_id", "description", "status", "created_at").order_by("created_at")
