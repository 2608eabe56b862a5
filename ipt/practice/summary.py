"""The pre-session summary: one page to open a session with "how have things been since we last met?".

Everything here is read through the access functions of each app, starting from the acting user
(``ipt.care.access.get_course_for`` gives the course): the next appointment, open risk alerts,
questionnaires, the diary, work at home and lessons. Nothing is computed twice: change figures come
from ``ipt.measures.change``, the diary's numbers from ``ipt.practice.diary_access.week_summary``.

The period starts at the course's latest held session (an Encounter with status "finished" that has
started), or 7 days ago when no session has been held yet.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from ipt.accounts.models import User
from ipt.care.models import HomeworkTask, TreatmentCourse
from ipt.measures import access as measures_access
from ipt.measures import change
from ipt.measures.models import ResponseStatus
from ipt.messaging.access import threads_with_unread_for
from ipt.practice.access import lesson_assignments_for
from ipt.practice.communication import FEATURES
from ipt.practice.diary_access import DiaryPeriod, week_summary
from ipt.practice.diary_actions import today
from ipt.practice.lessons import get_lesson
from ipt.practice.roleplay import Scenario
from ipt.practice.roleplay_access import sessions_for
from ipt.practice.roleplay_actions import scenario_of
from ipt.practice.transcript import turn_rows
from ipt.safety import actions as safety_actions
from ipt.safety.access import open_alerts_for
from ipt.safety.models import RiskAlert
from ipt.scheduling.access import appointments_for
from ipt.scheduling.models import LIVE_STATUSES, Appointment
from ipt.scheduling.slots import zone_of
from ipt.telehealth.access import join_url_for
from ipt.visits.access import encounters_for, homework_with_sessions_for
from ipt.visits.models import Encounter, EncounterStatus

DEFAULT_PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class MeasureResult:
    """One questionnaire completed in the period, with the change since the one before it."""

    code: str
    title: str
    total: int | None
    severity: str
    submitted_at: datetime
    suicidal_ideation: bool
    previous_total: int | None
    previous_at: datetime | None
    comparison: change.Comparison | None  # None: no earlier score to compare with

    @property
    def difference_text(self) -> str:
        return "" if self.comparison is None else f"{self.comparison.difference:+d}"


@dataclass(frozen=True)
class LessonProgress:
    title: str
    slug: str
    opened_at: datetime | None
    completed_at: datetime | None
    completed_in_period: bool


@dataclass(frozen=True)
class RolePlayPractice:
    scenario: Scenario
    started_at: datetime
    patient_turns: int
    features: dict[str, int]  # what the analyser found in the patient's turns, label -> count
    rows: list[dict]  # the transcript, the patient's lines marked (ipt.practice.transcript)


@dataclass(frozen=True)
class ThreadActivity:
    """A conversation with something unread by the viewer, or a message from the patient in the period."""

    thread_id: str
    subject: str
    unread: int
    from_patient: int  # messages the patient sent in the period
    last_message_at: datetime


@dataclass(frozen=True)
class PreSessionSummary:
    course: TreatmentCourse
    now: datetime
    since: datetime
    last_session: Encounter | None  # None: no session held yet, the period is the last 7 days
    zone: ZoneInfo
    next_appointment: Appointment | None
    join_url: str | None
    open_alerts: list[RiskAlert]
    measures: list[MeasureResult]
    diary: DiaryPeriod
    homework_agreed: list[HomeworkTask]  # agreed in the last held session
    homework_checked_in: list[HomeworkTask]  # other tasks the patient checked in on in the period
    lessons: list[LessonProgress]  # opened or completed in the period
    lessons_not_opened: int  # assigned, never opened
    roleplays: list[RolePlayPractice]  # rehearsals started in the period
    threads: list[ThreadActivity]

    @property
    def unread_messages(self) -> int:
        return sum(thread.unread for thread in self.threads)


def last_held_session(user: User, course: TreatmentCourse, now: datetime) -> Encounter | None:
    return (
        encounters_for(user, course)
        .filter(status=EncounterStatus.FINISHED, starts_at__lte=now)
        .order_by("-starts_at")
        .first()
    )


def _measures(user: User, course: TreatmentCourse, since: datetime, now: datetime) -> list[MeasureResult]:
    """Questionnaires completed in the period, each compared with the previous score of its kind."""
    responses = (
        measures_access.responses_for(user, course)
        .filter(status=ResponseStatus.COMPLETED, submitted_at__isnull=False, submitted_at__lte=now)
        .order_by("submitted_at")
    )
    earlier: dict[str, tuple[int, datetime]] = {}  # instrument -> (total, submitted_at) of the last score
    results = []
    for response in responses:
        submitted_at: datetime = response.submitted_at  # type: ignore[assignment]  # filtered: not null
        before = earlier.get(response.instrument)
        if submitted_at >= since:
            comparison = None
            if before is not None and response.total is not None:
                comparison = change.compare(response.instrument, before[0], response.total)
            results.append(
                MeasureResult(
                    code=response.instrument,
                    title=measures_access.instrument_title(response.instrument),
                    total=response.total,
                    severity=response.severity,
                    submitted_at=submitted_at,
                    suicidal_ideation="suicidal_ideation" in (response.flags or []),
                    previous_total=before[0] if before else None,
                    previous_at=before[1] if before else None,
                    comparison=comparison,
                )
            )
        if response.total is not None:
            earlier[response.instrument] = (response.total, submitted_at)
    return results


def _lessons(user: User, course: TreatmentCourse, since: datetime) -> tuple[list[LessonProgress], int]:
    assignments = list(lesson_assignments_for(user, course))
    progress = []
    for assignment in assignments:
        opened = assignment.opened_at is not None and assignment.opened_at >= since
        completed = assignment.completed_at is not None and assignment.completed_at >= since
        if opened or completed:
            lesson = get_lesson(assignment.lesson)
            progress.append(
                LessonProgress(
                    title=lesson.title if lesson else assignment.lesson,
                    slug=assignment.lesson,
                    opened_at=assignment.opened_at,
                    completed_at=assignment.completed_at,
                    completed_in_period=completed,
                )
            )
    not_opened = sum(1 for assignment in assignments if assignment.opened_at is None)
    return progress, not_opened


def _roleplays(user: User, course: TreatmentCourse, since: datetime) -> list[RolePlayPractice]:
    practices = []
    for session in sessions_for(user, course).filter(started_at__gte=since).prefetch_related("turns"):
        mine = [turn for turn in session.turns.all() if turn.speaker == "patient"]
        found = Counter(FEATURES.get(feature, feature) for turn in mine for feature in turn.features)
        scenario = scenario_of(session)
        practices.append(
            RolePlayPractice(
                scenario=scenario,
                started_at=session.started_at,
                patient_turns=len(mine),
                features=dict(found.most_common()),
                rows=turn_rows(session, scenario),
            )
        )
    return practices


def _threads(user: User, course: TreatmentCourse, since: datetime) -> list[ThreadActivity]:
    patient = course.care_team.patient
    threads = (
        threads_with_unread_for(user)
        .filter(care_team=course.care_team)
        .annotate(
            from_patient=Count("messages", filter=Q(messages__sender=patient, messages__sent_at__gte=since))
        )
        .filter(Q(unread__gt=0) | Q(from_patient__gt=0))
        .order_by("-last_message_at")
    )
    return [
        ThreadActivity(
            thread_id=str(thread.pk),
            subject=thread.subject,
            unread=thread.unread,
            from_patient=thread.from_patient,
            last_message_at=thread.last_message_at,
        )
        for thread in threads
    ]


def pre_session_summary(
    user: User, course: TreatmentCourse, now: datetime | None = None
) -> PreSessionSummary:
    """What happened since the last held session, for a course ``user`` already may read."""
    now = now or timezone.now()
    last_session = last_held_session(user, course, now)
    since = last_session.starts_at if last_session is not None else now - DEFAULT_PERIOD

    appointment = (
        appointments_for(user)
        .filter(course=course, status__in=LIVE_STATUSES, end__gte=now)
        .order_by("start")
        .first()
    )
    alerts = list(open_alerts_for(user).filter(course=course).order_by("created_at"))
    for alert in alerts:
        alert.overdue = safety_actions.is_overdue(alert, now)  # type: ignore[attr-defined]

    tasks = homework_with_sessions_for(user, course)
    if last_session is not None:
        agreed = list(tasks.filter(agreed_in__encounter=last_session).order_by("created_at"))
    else:
        agreed = []
    checked_in = list(
        tasks.filter(checked_in_at__gte=since)
        .exclude(pk__in=[task.pk for task in agreed])
        .order_by("checked_in_at")
    )
    lessons, not_opened = _lessons(user, course, since)
    return PreSessionSummary(
        course=course,
        now=now,
        since=since,
        last_session=last_session,
        zone=zone_of(user),
        next_appointment=appointment,
        join_url=join_url_for(user, appointment) if appointment is not None else None,
        open_alerts=alerts,
        measures=_measures(user, course, since, now),
        diary=week_summary(user, course, today(course)),
        homework_agreed=agreed,
        homework_checked_in=checked_in,
        lessons=lessons,
        lessons_not_opened=not_opened,
        roleplays=_roleplays(user, course, since),
        threads=_threads(user, course, since),
    )
