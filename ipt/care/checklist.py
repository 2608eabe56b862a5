"""The phase checklist, ticked from the course's real data (never by hand)."""

from dataclasses import dataclass

from ipt.care.models import ClosenessSnapshot, CourseStatus, TreatmentCourse


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool


def _signed_notes(course: TreatmentCourse):
    from ipt.visits.models import NoteStatus, SessionNote

    return SessionNote.objects.filter(encounter__course=course, status=NoteStatus.SIGNED).select_related(
        "encounter"
    )


def initial_phase(course: TreatmentCourse) -> list[ChecklistItem]:
    tasks_done: set[str] = set()
    for note in _signed_notes(course):
        tasks_done.update(note.initial_tasks)
    contracts = course.contracts.filter(superseded_at__isnull=True)
    return [
        ChecklistItem("Symptoms reviewed", "symptoms_reviewed" in tasks_done),
        ChecklistItem("Sick role explained", "sick_role_explained" in tasks_done),
        ChecklistItem("Interpersonal inventory taken", course.inventory.filter(is_removed=False).exists()),
        ChecklistItem(
            "Closeness circle drawn",
            course.closeness_snapshots.filter(moment=ClosenessSnapshot.Moment.START).exists(),
        ),
        ChecklistItem("Interpersonal timeline built", course.timeline.exists()),
        ChecklistItem(
            "Problem area chosen", course.problem_areas.filter(is_removed=False, rank="primary").exists()
        ),
        ChecklistItem("Formulation shared", course.formulations.filter(shared_at__isnull=False).exists()),
        ChecklistItem("Treatment contract agreed", any(contract.is_signed_by_both for contract in contracts)),
    ]


def middle_phase(course: TreatmentCourse) -> list[ChecklistItem]:
    notes = [note for note in _signed_notes(course) if note.encounter.phase == CourseStatus.MIDDLE]
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


def termination_phase(course: TreatmentCourse) -> list[ChecklistItem]:
    review = getattr(course, "termination_review", None)
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
    return [(status, label, build(course)) for status, label, build in PHASES]


def session_position(course: TreatmentCourse) -> tuple[int, int]:
    """(n, N): sessions held so far (not cancelled or missed) and sessions planned."""
    from ipt.visits.models import EncounterStatus

    held = course.encounters.filter(status=EncounterStatus.FINISHED).count()
    return held, course.planned_sessions
