"""The therapist's caseload flags patients (open risk alert, not on track, overdue questionnaires)
and puts those with risk first, at a constant number of queries."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ipt.accounts.models import CareTeam, Role
from ipt.conftest import make_user
from ipt.measures.access import caseload_flags
from ipt.measures.models import MeasureAssignment, Schedule
from ipt.measures.tests.test_administrations import PHQ9_MODERATE, assign, complete, hold_session, new_course
from ipt.safety.models import AlertReason, AlertStatus, RiskAlert

WEEK = timedelta(weeks=1)


def extra_patient(personas, name: str):
    patient = make_user(f"{name.lower()}@example.test", Role.PATIENT, first_name=name, last_name="Flagged")
    team = CareTeam.objects.create(patient=patient, therapist=personas.therapist)
    return new_course(personas, team=team)


def not_on_track(personas, course):
    """Five sessions, PHQ-9 10 before each: no reliable fall after session 4."""
    start = timezone.now() - 6 * WEEK
    assignment = assign(course)
    for number in range(1, 6):
        complete(assignment, PHQ9_MODERATE, when=start + (number - 1) * WEEK)
        hold_session(course, personas, number, when=start + (number - 1) * WEEK + timedelta(hours=1))
    complete(assignment, PHQ9_MODERATE, when=start + 5 * WEEK)


def overdue(course):
    assignment = assign(course, "gad7", Schedule.ONCE)
    MeasureAssignment.objects.filter(pk=assignment.pk).update(created_at=timezone.now() - 2 * WEEK)


def open_alert(course):
    return RiskAlert.objects.create(course=course, reason=AlertReason.SUICIDAL_IDEATION, source="test")


def test_flags_per_course(personas):
    quiet = new_course(personas)
    late = extra_patient(personas, "Late")
    overdue(late)
    stuck = extra_patient(personas, "Stuck")
    not_on_track(personas, stuck)
    risky = extra_patient(personas, "Risky")
    open_alert(risky)
    calm = extra_patient(personas, "Calm")
    RiskAlert.objects.create(
        course=calm, reason=AlertReason.SUICIDAL_IDEATION, source="test", status=AlertStatus.ACKNOWLEDGED
    )

    flags = caseload_flags([quiet.pk, late.pk, stuck.pk, risky.pk, calm.pk])
    assert not flags[quiet.pk].open_alert and not flags[quiet.pk].not_on_track and not flags[quiet.pk].overdue
    assert flags[late.pk].overdue == ("GAD-7",)
    assert flags[stuck.pk].not_on_track == ("PHQ-9",) and not flags[stuck.pk].overdue
    assert flags[risky.pk].open_alert
    assert not flags[calm.pk].open_alert


def test_a_patient_improving_reliably_is_on_track(personas):
    course = new_course(personas)
    start = timezone.now() - 6 * WEEK
    assignment = assign(course)
    for number, answers in enumerate(
        [[3, 3, 2, 2, 2, 2, 2, 2, 0, 1], [2, 2, 2, 2, 1, 1, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1, 1, 1, 0, 1]] * 2,
        start=1,
    ):
        complete(assignment, answers, when=start + (number - 1) * WEEK)
        hold_session(course, personas, number, when=start + (number - 1) * WEEK + timedelta(hours=1))
    complete(assignment, [0, 1, 1, 0, 1, 0, 1, 0, 0, 0], when=start + 6 * WEEK)
    assert caseload_flags([course.pk])[course.pk].not_on_track == ()


def test_the_caseload_shows_the_flags_and_puts_risk_first(personas, client_for):
    new_course(personas)  # Paula: no flags
    late = extra_patient(personas, "Late")
    overdue(late)
    stuck = extra_patient(personas, "Stuck")
    not_on_track(personas, stuck)
    risky = extra_patient(personas, "Risky")
    open_alert(risky)

    page = client_for("therapist").get("/").content.decode()
    order = [page.index(name) for name in ("Risky Flagged", "Stuck Flagged", "Late Flagged", "Paula Tient")]
    assert order == sorted(order)
    assert "Open risk alert" in page
    assert "Not on track (PHQ-9)" in page
    assert "Overdue: GAD-7" in page


def test_the_flagged_caseload_costs_the_same_queries_for_one_patient_or_many(personas, client_for):
    client = client_for("therapist")
    course = new_course(personas)
    assert client.get("/").status_code == 200  # the caseload's version row exists from here on
    overdue(course)  # a change: the table is built again below, not served from the cache

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    few = count()
    for name in ("Alpha", "Beta", "Gamma"):
        other = extra_patient(personas, name)
        overdue(other)
        open_alert(other)
        not_on_track(personas, other)
    assert count() == few
