"""The only road to questionnaire rows: every query starts from the user's courses (ipt.care.access).

Also works out what is due, for one course (the patient's home, the measures page) or for a whole
caseload in a fixed number of queries (the therapist's home).
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Case, F, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from ipt.accounts.models import Role, User
from ipt.care.access import courses_for
from ipt.care.models import TreatmentCourse
from ipt.lib.prepared import first_instance, instances, uuid_key, value_rows, values_by_key
from ipt.measures import change
from ipt.measures.instruments import registry
from ipt.measures.models import MeasureAssignment, QuestionnaireResponse, ResponseStatus, due_since
from ipt.safety.models import AlertStatus, RiskAlert
from ipt.visits.models import Encounter, EncounterStatus

OVERDUE_AFTER = timedelta(days=7)


def assignments_for(user: User, course: TreatmentCourse) -> QuerySet[MeasureAssignment]:
    return MeasureAssignment.objects.filter(course=course, course__in=courses_for(user))


def get_assignment_for(user: User, course: TreatmentCourse, assignment_id) -> MeasureAssignment:
    try:
        return assignments_for(user, course).get(pk=assignment_id)
    except (MeasureAssignment.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such questionnaire.") from None


def responses_for(user: User, course: TreatmentCourse) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(course=course, course__in=courses_for(user)).select_related(
        "encounter"
    )


def get_own_response(user: User, response_id) -> QuestionnaireResponse:
    """A patient's own response (missing and not theirs look the same); every save and the
    submission read it, so compiled once."""
    if not user.is_authenticated or not user.is_active or user.role != Role.PATIENT:
        raise Http404("No such questionnaire.")
    key = uuid_key(response_id)
    response = first_instance(_own_response_query, key, user.pk) if key is not None else None
    if response is None:
        raise Http404("No such questionnaire.")
    return response


def _own_response_query(response_id, patient_id):
    # The same rows as responses of courses_for(patient) whose care team is the patient's.
    own = QuestionnaireResponse.objects.filter(pk=response_id, course__care_team__patient=patient_id)
    return own.select_related("course__care_team__patient", "course__care_team__therapist")


@dataclass(frozen=True)
class Due:
    assignment: MeasureAssignment
    since: datetime
    draft: QuestionnaireResponse | None  # an unfinished response the patient can go back to
    overdue: bool  # due for longer than OVERDUE_AFTER


def due_for_courses(course_ids, *, now=None, last_sessions=None, completed=None, drafts=True) -> dict:
    """{course_id: [Due, ...]} for many courses, in four queries whatever their number (two when
    the caller already has ``last_sessions`` {course_id: latest held start} and ``completed``
    {(course_id, instrument): latest submission}; one less without ``drafts``, which only the
    patient's pages offer to resume)."""
    now = now or timezone.now()
    course_ids = list(course_ids)
    result: dict = {course_id: [] for course_id in course_ids}
    if not course_ids:
        return result
    assignments = list(MeasureAssignment.objects.filter(course_id__in=course_ids, is_active=True))
    if not assignments:
        return result
    if last_sessions is None:
        last_sessions = _last_sessions(course_ids, now)
    if completed is None:
        completed = _last_completed(course_ids)
    unfinished: list = []
    if drafts:
        unfinished = list(
            QuestionnaireResponse.objects.filter(
                course_id__in=course_ids, status=ResponseStatus.IN_PROGRESS, assignment__isnull=False
            ).order_by("started_at")
        )
    for assignment, due in _due(assignments, last_sessions, completed, unfinished, now):
        result[assignment.course_id].append(due)
    return result


def _due(assignments, last_sessions: dict, completed: dict, drafts: list, now):
    """(assignment, Due) for each assignment due now; ``drafts`` oldest first."""
    unfinished: dict = {}
    for draft in drafts:
        unfinished.setdefault(draft.assignment_id, draft)
    for assignment in assignments:
        since = due_since(
            assignment,
            last_encounter_at=last_sessions.get(assignment.course_id),
            last_completed_at=completed.get((assignment.course_id, assignment.instrument)),
            now=now,
        )
        if since is not None:
            overdue = now - since > OVERDUE_AFTER
            yield assignment, Due(assignment, since, unfinished.get(assignment.pk), overdue)


def _last_sessions(course_ids, now) -> dict:
    return dict(
        Encounter.objects.filter(
            course_id__in=course_ids, status=EncounterStatus.FINISHED, starts_at__lte=now
        )
        .values("course_id")
        .annotate(last=Max("starts_at"))
        .values_list("course_id", "last")
    )


def _last_completed(course_ids) -> dict:
    return {
        (row["course_id"], row["instrument"]): row["last"]
        for row in QuestionnaireResponse.objects.filter(
            course_id__in=course_ids, status=ResponseStatus.COMPLETED
        )
        .values("course_id", "instrument")
        .annotate(last=Max("submitted_at"))
    }


def due_for_course(course: TreatmentCourse, *, now=None) -> list[Due]:
    """What ``due_for_courses`` gives for one course, from queries compiled once (the patient's
    home and questionnaire pages ask on every view)."""
    now = now or timezone.now()
    assignments = instances(_active_assignments, course.pk)
    if not assignments:
        return []
    last = values_by_key(_last_session_of_course, course.pk, now)
    completed = {
        (course.pk, row["instrument"]): row["last"]
        for row in value_rows(_last_completed_of_course, course.pk)
    }
    drafts = instances(_drafts_of_course, course.pk)
    last_sessions = {course.pk: last["last"]} if last else {}
    return [due for _, due in _due(assignments, last_sessions, completed, drafts, now)]


def _active_assignments(course_id):
    return MeasureAssignment.objects.filter(course_id=course_id, is_active=True)


def _last_session_of_course(course_id, now):
    held = Encounter.objects.filter(course_id=course_id, status=EncounterStatus.FINISHED, starts_at__lte=now)
    return held.values("course_id").annotate(last=Max("starts_at")).values("last")


def _last_completed_of_course(course_id):
    completed = QuestionnaireResponse.objects.filter(course_id=course_id, status=ResponseStatus.COMPLETED)
    return completed.values("instrument").annotate(last=Max("submitted_at")).values("instrument", "last")


def _drafts_of_course(course_id):
    return QuestionnaireResponse.objects.filter(
        course_id=course_id, status=ResponseStatus.IN_PROGRESS, assignment__isnull=False
    ).order_by("started_at")


def due_questionnaires(course: TreatmentCourse) -> list[dict]:
    """For the patient's home and questionnaire list (templates/measures/_due_list.html)."""
    return [
        {"due": item, "title": instrument_title(item.assignment.instrument), "draft": item.draft}
        for item in due_for_course(course)
    ]


def instrument_title(code: str) -> str:
    try:
        return registry.get(code).title
    except KeyError:
        return code


# Change series and caseload flags -----------------------------------------------------------------


def _session_key(session_starts: list[datetime], submitted_at: datetime) -> int:
    """The session a response belongs to: the one it comes before (sessions held so far + 1), so
    that the answers given after session 4 count as "after session 4" (ipt.measures.change)."""
    return bisect_right(session_starts, submitted_at) + 1


def _series(responses, session_starts: list[datetime]) -> dict[str, change.Series]:
    series: dict[str, change.Series] = {}
    for response in sorted(responses, key=lambda row: row.submitted_at):
        series.setdefault(response.instrument, []).append(
            (_session_key(session_starts, response.submitted_at), response.total)
        )
    return series


def series_for_course(course: TreatmentCourse, responses) -> dict[str, change.Series]:
    """{instrument: [(session, total), ...]} from already-authorized responses (one query)."""
    completed = [row for row in responses if row.status == ResponseStatus.COMPLETED and row.total is not None]
    if not completed:
        return {}
    starts = sorted(
        Encounter.objects.filter(course=course, status=EncounterStatus.FINISHED).values_list(
            "starts_at", flat=True
        )
    )
    return _series(completed, starts)


@dataclass(frozen=True)
class CaseloadFlags:
    open_alert: bool = False
    not_on_track: tuple[str, ...] = ()  # instrument titles
    overdue: tuple[str, ...] = ()  # instrument titles

    @classmethod
    def merge(cls, many) -> "CaseloadFlags":
        """One patient's flags over all their courses."""
        many = list(many)
        return cls(
            open_alert=any(flags.open_alert for flags in many),
            not_on_track=tuple(dict.fromkeys(title for flags in many for title in flags.not_on_track)),
            overdue=tuple(dict.fromkeys(title for flags in many for title in flags.overdue)),
        )

    @property
    def rank(self) -> tuple[int, int, int]:
        """Sort key: risk first, then not on track, then overdue measures."""
        return (0 if self.open_alert else 1, 0 if self.not_on_track else 1, 0 if self.overdue else 1)


def _ends_of_each_series(course_ids):
    """Per course and instrument, the completed responses that are the first scored, the latest
    scored or the latest of all: (course_id, instrument, submitted_at, total, first, latest,
    newest), the last three 1 where the row is that one (about three rows per instrument instead
    of every response)."""
    unscored_last = Case(When(total__isnull=True, then=Value(1)), default=Value(0))
    partition = [F("course_id"), F("instrument")]

    def rank(*order):
        return Window(RowNumber(), partition_by=partition, order_by=[*order, F("pk").asc()])

    return (
        QuestionnaireResponse.objects.filter(
            course_id__in=course_ids, status=ResponseStatus.COMPLETED, submitted_at__isnull=False
        )
        .annotate(
            first=rank(unscored_last.asc(), F("submitted_at").asc()),
            latest=rank(unscored_last.asc(), F("submitted_at").desc()),
            newest=rank(F("submitted_at").desc()),
        )
        .filter(Q(first=1) | Q(latest=1) | Q(newest=1))
        .order_by()
        .values_list("course_id", "instrument", "submitted_at", "total", "first", "latest", "newest")
    )


class _Score(NamedTuple):
    instrument: str
    submitted_at: datetime
    total: int


def caseload_flags(course_ids, *, now=None) -> dict:
    """{course_id: CaseloadFlags} for a caseload, in a fixed number of queries (four): the held
    sessions and completed responses read here also give the questionnaires' due dates."""
    now = now or timezone.now()
    course_ids = list(course_ids)
    if not course_ids:
        return {}
    alerted = set(
        RiskAlert.objects.filter(course_id__in=course_ids, status=AlertStatus.OPEN).values_list(
            "course_id", flat=True
        )
    )
    starts: dict = {}
    for course_id, starts_at in (
        Encounter.objects.filter(course_id__in=course_ids, status=EncounterStatus.FINISHED)
        .order_by("starts_at")
        .values_list("course_id", "starts_at")
    ):
        starts.setdefault(course_id, []).append(starts_at)
    # Not on track needs only the first and the latest score of each instrument, the due dates only
    # each instrument's latest submission: those rows alone, picked by the database.
    firsts: dict = {}
    lasts: dict = {}
    last_completed: dict = {}
    for course_id, instrument, submitted_at, total, first, latest, newest in _ends_of_each_series(course_ids):
        key = (course_id, instrument)
        if newest == 1:
            last_completed[key] = submitted_at
        if total is None:
            continue  # ranked first only when the instrument has no score at all
        score = _Score(instrument, submitted_at, total)
        if first == 1:
            firsts[key] = score
        if latest == 1:
            lasts[key] = score
    ends: dict = {}
    for key, first in firsts.items():
        ends.setdefault(key[0], []).extend((first, lasts[key]))
    last_sessions = {
        course_id: max(held)
        for course_id, times in starts.items()
        if (held := [t for t in times if t <= now])
    }
    due = due_for_courses(
        course_ids, now=now, last_sessions=last_sessions, completed=last_completed, drafts=False
    )
    flags = {}
    for course_id in course_ids:
        series = _series(ends.get(course_id, []), starts.get(course_id, []))
        off_track = tuple(
            sorted(
                instrument_title(code) for code, points in series.items() if change.not_on_track(code, points)
            )
        )
        overdue = tuple(
            instrument_title(item.assignment.instrument) for item in due[course_id] if item.overdue
        )
        flags[course_id] = CaseloadFlags(course_id in alerted, off_track, overdue)
    return flags
