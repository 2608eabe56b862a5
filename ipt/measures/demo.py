"""Demo questionnaires for `seed_demo` (demo data only): weeks of PHQ-9 and GAD-7 answers.

- patient@demo.test (middle phase): PHQ-9 and GAD-7 before every session, falling week by week to a
  response (a fall of 50% or more) on both.
- patient2@demo.test (initial phase): weekly answers that rise by more than the reliable-change
  threshold (not on track), with one PHQ-9 item 9 above 0 whose risk alert the therapist has
  acknowledged.

Totals, severities and flags come from the instrument registry (never typed in here). Idempotent: a
course that already has answers is left alone.
"""

from datetime import timedelta

from django.utils import timezone

from ipt.accounts.models import User
from ipt.care.models import TreatmentCourse
from ipt.measures.instruments import registry
from ipt.measures.models import MeasureAssignment, QuestionnaireResponse, ResponseStatus, Schedule
from ipt.safety.models import AlertReason, AlertStatus, RiskAlert
from ipt.visits.models import Encounter

IMPROVING = {"phq9": [18, 16, 13, 11, 9, 7], "gad7": [14, 13, 10, 8, 7, 6]}
NOT_ON_TRACK = {"phq9": [12, 14, 17, 19], "gad7": [9, 11, 12, 14]}
FLAGGED_WEEK = 2  # patient2's third PHQ-9 has item 9 = 1


def answers_for(code: str, total: int, *, item9: int = 0) -> list[int | None]:
    """Scored items adding up to ``total``, spread evenly (PHQ-9: item 9 as given)."""
    instrument = registry.get(code)
    scored = [item for item in instrument.items if item.scored]
    fixed = {9: item9} if code == "phq9" else {}
    free = [item for item in scored if item.number not in fixed]
    remaining = total - sum(fixed.values())
    values = dict(fixed)
    for index, item in enumerate(free):
        share = -(-remaining // (len(free) - index))  # ceiling: the first items take the remainder
        value = min(max(item.values), share)
        values[item.number] = value
        remaining -= value
    if remaining:
        raise ValueError(f"{code}: cannot reach {total}")
    return [values.get(item.number, 1 if not item.scored else None) for item in instrument.items]


def _respond(course, assignment, code: str, answers, when) -> QuestionnaireResponse:
    score = registry.get(code).score(answers)
    return QuestionnaireResponse.objects.create(
        course=course,
        instrument=code,
        assignment=assignment,
        status=ResponseStatus.COMPLETED,
        answers=list(answers),
        total=score.total,
        severity=score.severity,
        subscales=dict(score.subscales),
        flags=list(score.flags),
        started_at=when - timedelta(minutes=6),
        updated_at=when,
        submitted_at=when,
        submitted_by=course.care_team.patient,
    )


def _assign(course, code: str, schedule: str, every_weeks=None, when=None) -> MeasureAssignment:
    return MeasureAssignment.objects.create(
        course=course,
        instrument=code,
        schedule=schedule,
        every_weeks=every_weeks,
        created_by=course.care_team.therapist,
        created_at=when or course.created_at,
    )


def _improving(course: TreatmentCourse) -> None:
    sessions = list(Encounter.objects.filter(course=course).order_by("number"))
    first = sessions[0].starts_at if sessions else timezone.now() - timedelta(weeks=5)
    assignments = {
        code: _assign(course, code, Schedule.BEFORE_EVERY_SESSION, when=first - timedelta(days=2))
        for code in IMPROVING
    }
    for code, totals in IMPROVING.items():
        for week, total in enumerate(totals):
            # The day before each session (or each week, where there is no session).
            session = sessions[week].starts_at if week < len(sessions) else first + timedelta(weeks=week)
            when = min(session - timedelta(days=1), timezone.now() - timedelta(hours=1))
            _respond(course, assignments[code], code, answers_for(code, total), when)


def _not_on_track(course: TreatmentCourse) -> None:
    start = timezone.now() - timedelta(weeks=len(NOT_ON_TRACK["phq9"]) - 1, days=4)
    assignments = {
        code: _assign(course, code, Schedule.EVERY_N_WEEKS, every_weeks=1, when=start - timedelta(days=1))
        for code in NOT_ON_TRACK
    }
    flagged = None
    for code, totals in NOT_ON_TRACK.items():
        for week, total in enumerate(totals):
            item9 = 1 if code == "phq9" and week == FLAGGED_WEEK else 0
            response = _respond(
                course,
                assignments[code],
                code,
                answers_for(code, total, item9=item9),
                start + timedelta(weeks=week),
            )
            if item9:
                flagged = response
    if flagged is not None and "suicidal_ideation" in flagged.flags:
        therapist = course.care_team.therapist
        RiskAlert.objects.create(
            course=course,
            reason=AlertReason.SUICIDAL_IDEATION,
            source=f"phq9 response {flagged.pk}",
            created_at=flagged.submitted_at,
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_by=therapist,
            acknowledged_at=flagged.submitted_at + timedelta(hours=2),
            follow_up=(
                "Demo: phoned the patient the same afternoon. Passive thoughts, no plan or intent; "
                "reviewed the safety plan together and agreed to check in before the next session."
            ),
        )


def seed_measures(users: dict[str, User]) -> None:
    for email, build in (("patient@demo.test", _improving), ("patient2@demo.test", _not_on_track)):
        patient = users.get(email)
        if patient is None:
            continue
        course = TreatmentCourse.objects.filter(care_team__patient=patient).order_by("-created_at").first()
        if course is None or QuestionnaireResponse.objects.filter(course=course).exists():
            continue
        build(course)
