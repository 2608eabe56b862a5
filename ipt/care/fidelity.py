"""How closely a course followed the method: which IPT tasks and techniques were done, and when.

Read from the records themselves (signed session notes and the course's rows), never ticked by
hand. Only signed notes count: a draft may still change. The whole table costs two queries,
whatever the number of sessions.
"""

import datetime
from dataclasses import dataclass, field, replace

from django.db.models import Min, OuterRef, Subquery
from django.db.models.functions import Greatest

from ipt.care.models import (
    ClosenessSnapshot,
    CourseStatus,
    Formulation,
    InventoryPerson,
    ProblemArea,
    TimelineEvent,
    TreatmentContract,
    TreatmentCourse,
)
from ipt.visits.models import Encounter, EncounterStatus, InitialTask, NoteStatus, Technique


@dataclass(frozen=True)
class SessionRow:
    number: int
    starts_at: datetime.datetime
    phase_label: str
    status_label: str
    is_held: bool
    note_signed: bool
    initial_tasks: frozenset[str] = frozenset()
    techniques: frozenset[str] = frozenset()
    problem_area_focus: str = ""  # the area's kind label, when the session focused on one
    homework_reviewed: bool = False
    risk_reviewed: bool = False

    def initial_task_marks(self) -> list[bool]:
        return [task in self.initial_tasks for task in InitialTask.values]

    def technique_marks(self) -> list[bool]:
        return [technique in self.techniques for technique in Technique.values]


@dataclass(frozen=True)
class CourseTask:
    label: str
    first_done: datetime.datetime | None

    @property
    def done(self) -> bool:
        return self.first_done is not None


@dataclass
class FidelityTable:
    sessions: list[SessionRow]
    course_tasks: list[CourseTask]
    initial_task_labels: list[str] = field(default_factory=lambda: list(InitialTask.labels))
    technique_labels: list[str] = field(default_factory=lambda: list(Technique.labels))

    @property
    def data_columns(self) -> int:
        """Columns after the session number: tasks, techniques, focus, work at home, risk."""
        return len(self.initial_task_labels) + len(self.technique_labels) + 3

    @property
    def signed_count(self) -> int:
        return sum(row.note_signed for row in self.sessions)

    def initial_task_totals(self) -> list[int]:
        return [
            sum(row.note_signed and task in row.initial_tasks for row in self.sessions)
            for task in InitialTask.values
        ]

    def technique_totals(self) -> list[int]:
        return [
            sum(row.note_signed and t in row.techniques for row in self.sessions) for t in Technique.values
        ]

    @property
    def focus_total(self) -> int:
        return sum(bool(row.problem_area_focus) for row in self.sessions)

    @property
    def homework_total(self) -> int:
        return sum(row.homework_reviewed for row in self.sessions)

    @property
    def risk_total(self) -> int:
        return sum(row.risk_reviewed for row in self.sessions)


def _phase_label(phase: str) -> str:
    return CourseStatus(phase).label if phase in CourseStatus.values else phase


def _names(values) -> frozenset[str]:
    """The names in a note's JSON list (anything else in it is ignored, never an error)."""
    return frozenset(value for value in values or [] if isinstance(value, str))


def _session_row(encounter: Encounter) -> SessionRow:
    row = SessionRow(
        number=encounter.number,
        starts_at=encounter.starts_at,
        phase_label=_phase_label(encounter.phase),
        status_label=encounter.get_status_display(),
        is_held=encounter.status == EncounterStatus.FINISHED,
        note_signed=False,
    )
    note = getattr(encounter, "note", None)
    if note is None or note.status != NoteStatus.SIGNED:
        return row
    focus = note.problem_area_focus
    return replace(
        row,
        note_signed=True,
        initial_tasks=_names(note.initial_tasks),
        techniques=_names(note.techniques),
        problem_area_focus=focus.get_kind_display() if focus is not None else "",
        homework_reviewed=bool(note.homework_review.strip()),
        risk_reviewed=bool(note.risk_level or note.risk_review.strip()),
    )


COURSE_TASKS = {
    "first_inventory": "Interpersonal inventory taken",
    "first_circle": "Closeness circle drawn",
    "first_timeline": "Interpersonal timeline built",
    "first_problem_area": "Primary problem area chosen",
    "first_formulation": "Formulation shared",
    "first_contract": "Treatment contract signed by both",
}


def _first(model, earliest_of, **conditions) -> Subquery:
    """The earliest ``earliest_of`` (a field name or an expression) among the course's matching rows."""
    rows = model.objects.filter(course=OuterRef("pk"), **conditions).order_by()
    return Subquery(rows.values("course").annotate(first=Min(earliest_of)).values("first")[:1])


def _course_tasks(course: TreatmentCourse) -> list[CourseTask]:
    firsts = (
        TreatmentCourse.objects.filter(pk=course.pk)
        .annotate(
            first_inventory=_first(InventoryPerson, "created_at"),
            first_circle=_first(ClosenessSnapshot, "taken_at", moment=ClosenessSnapshot.Moment.START),
            first_timeline=_first(TimelineEvent, "created_at"),
            first_problem_area=_first(ProblemArea, "chosen_at", rank="primary"),
            first_formulation=_first(Formulation, "shared_at", shared_at__isnull=False),
            # A contract is agreed at its second signature.
            first_contract=_first(
                TreatmentContract,
                Greatest("therapist_signed_at", "patient_signed_at"),
                therapist_signed_at__isnull=False,
                patient_signed_at__isnull=False,
            ),
        )
        .values(*COURSE_TASKS)
        .get()
    )
    return [CourseTask(label, firsts[name]) for name, label in COURSE_TASKS.items()]


def fidelity_table(course: TreatmentCourse) -> FidelityTable:
    encounters = (
        Encounter.objects.filter(course=course)
        .select_related("note", "note__problem_area_focus")
        .order_by("number")
    )
    return FidelityTable(
        sessions=[_session_row(encounter) for encounter in encounters],
        course_tasks=_course_tasks(course),
    )
