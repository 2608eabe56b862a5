"""The phase checklist, ticked from the course's real data (never by hand)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from ipt.care.models import (
    ClosenessSnapshot,
    CourseStatus,
    Formulation,
    InventoryPerson,
    ProblemArea,
    TerminationReview,
    TimelineEvent,
    TreatmentContract,
    TreatmentCourse,
)
from ipt.lib.prepared import first_instance, instances, values_by_key


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool


def _signed_notes(course: TreatmentCourse) -> list:
    return instances(_signed_notes_query, course.pk)


def _signed_notes_query(course_id):
    from ipt.visits.models import NoteStatus, SessionNote

    # What the checklist reads of a note, and no more: each of the note's other eight texts is
    # decrypted when read (ipt.lib.crypto), for every signed note of the course.
    return (
        SessionNote.objects.filter(encounter__course=course_id, status=NoteStatus.SIGNED)
        .select_related("encounter")
        .only("initial_tasks", "problem_area_focus", "homework_review", "encounter__phase")
    )


def _initial_records_query(course_id):
    here = {"course": OuterRef("pk")}
    return TreatmentCourse.objects.filter(pk=course_id).values(
        has_inventory=Exists(InventoryPerson.objects.filter(**here, is_removed=False)),
        has_circle=Exists(ClosenessSnapshot.objects.filter(**here, moment=ClosenessSnapshot.Moment.START)),
        has_timeline=Exists(TimelineEvent.objects.filter(**here)),
        has_problem_area=Exists(ProblemArea.objects.filter(**here, is_removed=False, rank="primary")),
        has_formulation=Exists(Formulation.objects.filter(**here, shared_at__isnull=False)),
        has_signed_contract=Exists(
            TreatmentContract.objects.filter(
                **here,
                superseded_at__isnull=True,
                therapist_signed_at__isnull=False,
                patient_signed_at__isnull=False,
            )
        ),
    )


def initial_records(course: TreatmentCourse) -> dict[str, bool]:
    """Which of the initial phase's records exist, in one query (also what the move to the middle
    phase requires), compiled once: building it was a quarter of the chart page's CPU."""
    records = values_by_key(_initial_records_query, course.pk)
    if records is None:
        raise TreatmentCourse.DoesNotExist(course.pk)
    return {name: bool(value) for name, value in records.items()}


def initial_phase(course: TreatmentCourse, signed_notes=None) -> list[ChecklistItem]:
    tasks_done: set[str] = set()
    for note in signed_notes if signed_notes is not None else _signed_notes(course):
        tasks_done.update(note.initial_tasks)
    records = initial_records(course)
    return [
        ChecklistItem("Symptoms reviewed", "symptoms_reviewed" in tasks_done),
        ChecklistItem("Sick role explained", "sick_role_explained" in tasks_done),
        ChecklistItem("Interpersonal inventory taken", records["has_inventory"]),
        ChecklistItem("Closeness circle drawn", records["has_circle"]),
        ChecklistItem("Interpersonal timeline built", records["has_timeline"]),
        ChecklistItem("Problem area chosen", records["has_problem_area"]),
        ChecklistItem("Formulation shared", records["has_formulation"]),
        ChecklistItem("Treatment contract agreed", records["has_signed_contract"]),
    ]


def middle_phase(course: TreatmentCourse, signed_notes=None) -> list[ChecklistItem]:
    if signed_notes is None:
        signed_notes = _signed_notes(course)
    notes = [note for note in signed_notes if note.encounter.phase == CourseStatus.MIDDLE]
    return [
        ChecklistItem(
            "Problem-area work in every session",
            bool(notes) and all(note.problem_area_focus_id for note in notes),
        ),
        ChecklistItem(
            "Work at home reviewed in every session",
            bool(notes) and all(note.homework_review.strip() for note in notes),
        ),
    ]


def termination_phase(course: TreatmentCourse, signed_notes=None) -> list[ChecklistItem]:
    review = first_instance(_review_query, course.pk)
    return [
        ChecklistItem("Gains reviewed", bool(review and review.gains.strip())),
        ChecklistItem("Personal warning signs listed", bool(review and review.warning_signs.strip())),
        ChecklistItem(
            "Next-step plan made", bool(review and review.plan.strip() and review.maintenance_decision)
        ),
    ]


PHASES = [
    (CourseStatus.INITIAL, "Initial phase", initial_phase),
    (CourseStatus.MIDDLE, "Middle phase", middle_phase),
    (CourseStatus.TERMINATION, "Termination phase", termination_phase),
]


def checklist(course: TreatmentCourse) -> list[tuple[str, str, list[ChecklistItem]]]:
    """Every phase's tasks: (status, label, items); the page highlights the current phase."""
    signed_notes = _signed_notes(course)
    return [(status, label, build(course, signed_notes)) for status, label, build in PHASES]


def session_position(course: TreatmentCourse) -> tuple[int, int]:
    """(n, N): sessions held so far (not cancelled or missed) and sessions planned."""
    held = values_by_key(_held_query, course.pk)
    return (held["held"] if held else 0), course.planned_sessions


def _held_query(course_id):
    from ipt.visits.models import EncounterStatus

    finished = Count("encounters", filter=Q(encounters__status=EncounterStatus.FINISHED))
    return TreatmentCourse.objects.filter(pk=course_id).annotate(held=finished).values("held")


def _review_query(course_id):
    return TerminationReview.objects.filter(course=course_id)
