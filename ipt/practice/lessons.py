"""The lesson catalogue: short psychoeducation lessons written for this project.

Lessons live in the code, not the database: each has a slug (what ``LessonAssignment.lesson``
stores), a title, a one-line summary, minutes to read, the problem area it belongs to (if any),
the course phases when it is most useful, and the template of its body
(``templates/practice/lessons/<slug>.html``, a plain HTML fragment).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ipt.care.models import CourseStatus, ProblemAreaKind

S = CourseStatus


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    summary: str
    minutes: int
    problem_area: str | None = None  # a ProblemAreaKind value
    phases: frozenset[str] = frozenset()  # course statuses when the lesson is suggested

    @property
    def template(self) -> str:
        return f"practice/lessons/{self.slug}.html"


_START = frozenset({S.INTAKE, S.INITIAL})

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "what-is-ipt",
        "What IPT is and how a course runs",
        "What interpersonal therapy is, and what happens at the start, the middle and the end.",
        4,
        phases=_START,
    ),
    Lesson(
        "depression-and-the-sick-role",
        "Depression is an illness, and it is not your fault",
        "What depression does, and why it is fair to take some pressure off while you recover.",
        4,
        phases=_START,
    ),
    Lesson(
        "grief",
        "Grief: when someone important has died",
        "How IPT helps with a loss that still hurts, and how you can slowly rebuild your life.",
        4,
        problem_area=ProblemAreaKind.GRIEF,
    ),
    Lesson(
        "role-disputes",
        "Role disputes: when you and someone close want different things",
        "Why disagreements about what you expect of each other get stuck, and how to move them on.",
        4,
        problem_area=ProblemAreaKind.ROLE_DISPUTE,
    ),
    Lesson(
        "role-transitions",
        "Role transitions: when your life changes",
        "Coping with a big change, like a new baby, a new job, losing a job, or moving.",
        3,
        problem_area=ProblemAreaKind.ROLE_TRANSITION,
    ),
    Lesson(
        "interpersonal-deficits",
        "Interpersonal deficits: loneliness and isolation",
        "When you feel alone or your relationships do not give you what you need.",
        3,
        problem_area=ProblemAreaKind.INTERPERSONAL_DEFICITS,
    ),
    Lesson(
        "communication-skills",
        "Saying what you mean: communication skills",
        "Seven ways to make a hard conversation go better, with examples.",
        4,
        phases=frozenset({S.MIDDLE}),
    ),
    Lesson(
        "ending-therapy",
        "Preparing for the end of therapy",
        "Feelings about ending, your warning signs, and how to keep what you have gained.",
        3,
        phases=frozenset({S.TERMINATION, S.MAINTENANCE}),
    ),
)

_BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}


def get_lesson(slug: str) -> Lesson | None:
    return _BY_SLUG.get(slug)


def suggestion_reason(lesson: Lesson, *, status: str, area_kinds: Iterable[str]) -> str:
    """Why this lesson suits the course now ("" when it does not): its problem area or its phase."""
    kinds = set(area_kinds)
    if lesson.problem_area is not None and lesson.problem_area in kinds:
        return f"Fits the problem area: {ProblemAreaKind(lesson.problem_area).label.lower()}"
    if status in lesson.phases:
        return f"Fits this stage of the course ({CourseStatus(status).label.lower()})"
    return ""
