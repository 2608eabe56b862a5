"""The patient's own course page, the landing pages' course summaries, and who reaches which page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ipt.accounts.models import CareTeam, Role
from ipt.audit.models import AuditEvent
from ipt.care.actions.course import start_course
from ipt.care.models import CourseStatus, Formulation, ProblemArea, TreatmentCourse
from ipt.conftest import make_user
from ipt.visits.models import Encounter


def new_course(personas, status=CourseStatus.INTAKE, team=None, therapist=None):
    course = start_course(
        actor=therapist or personas.therapist,
        care_team=team or personas.care_team,
        format="ipt",
        planned_sessions=14,
        target_conditions=["depression"],
        medication="SECRET-MEDICATION",
    )
    TreatmentCourse.objects.filter(pk=course.pk).update(status=status)
    course.refresh_from_db()
    return course


def hold_sessions(course, personas, count):
    for number in range(1, count + 1):
        Encounter.objects.create(
            course=course, number=number, phase=course.status, created_by=personas.therapist
        )


# The patient's own course ------------------------------------------------------------------------


def test_the_patient_sees_their_course_in_plain_words(personas, client_for):
    course = new_course(personas, CourseStatus.MIDDLE)
    hold_sessions(course, personas, 5)
    response = client_for("patient").get("/my/course/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The main part of your therapy" in page
    assert "You have had <strong>5</strong> of your <strong>14</strong> planned sessions." in page
    assert "What IPT is" in page and "not your fault" in page
    assert 'href="/my/todos/"' in page and 'href="/my/formulation/"' in page and 'href="/crisis/"' in page
    assert "SECRET-MEDICATION" not in page and "Middle phase" not in page
    assert AuditEvent.objects.filter(action="course.read", actor=personas.patient).exists()


def test_the_patient_sees_the_focus_and_its_goals_once_the_formulation_is_shared(personas, client_for):
    course = new_course(personas, CourseStatus.INITIAL)
    ProblemArea.objects.create(
        course=course,
        kind="role_dispute",
        rank="primary",
        goals="Talk with Sam about chores\n\nSay what I need",
    )
    ProblemArea.objects.create(
        course=course, kind="grief", rank="secondary", goals="Visit the grave", is_removed=True
    )
    client = client_for("patient")
    page = client.get("/my/course/").content.decode()
    assert "Talk with Sam" not in page and "disagreement" not in page
    formulation = Formulation.objects.create(
        course=course, version=1, clinical_text="c", plain_text="p", written_by=personas.therapist
    )
    assert "Talk with Sam" not in client.get("/my/course/").content.decode()  # a draft is not shared
    Formulation.objects.filter(pk=formulation.pk).update(shared_at=timezone.now())
    page = client.get("/my/course/").content.decode()
    assert "Primary focus: A disagreement with someone important to you" in page
    assert "<li>Talk with Sam about chores</li>" in page and "<li>Say what I need</li>" in page
    assert "Visit the grave" not in page and "Role dispute" not in page


def test_a_patient_without_a_course_gets_not_found(personas, client_for):
    new_course(personas)
    assert client_for("other_patient").get("/my/course/").status_code == 404


@pytest.mark.parametrize("persona", ["therapist", "supervisor", "admin"])
def test_staff_have_no_my_course_page(personas, client_for, persona):
    new_course(personas)
    response = client_for(persona).get("/my/course/")
    assert response.status_code == 403 and "SECRET-MEDICATION" not in response.content.decode()


def test_the_patient_home_shows_the_course_with_a_link_and_the_patient_nav(personas, client_for):
    course = new_course(personas, CourseStatus.INITIAL)
    hold_sessions(course, personas, 2)
    page = client_for("patient").get("/").content.decode()
    assert "Your course" in page and "The first sessions" in page
    assert "You have had 2 of your 14 planned sessions." in page
    assert 'href="/my/course/"' in page and 'aria-label="My therapy"' in page
    assert "Next steps" not in page  # sessions have begun


def test_the_patient_home_without_a_course_shows_the_next_steps(personas, client_for):
    page = client_for("patient").get("/").content.decode()
    assert "Next steps" in page and "Your course" not in page


# Staff landing pages -----------------------------------------------------------------------------


def test_the_caseload_shows_each_patients_phase_and_session_count(personas, client_for):
    course = new_course(personas, CourseStatus.MIDDLE)
    hold_sessions(course, personas, 6)
    page = client_for("therapist").get("/").content.decode()
    assert f'href="/courses/{course.pk}/">Middle phase</a> · session 6 of 14' in page


def test_the_caseload_costs_the_same_queries_for_one_patient_or_many(personas, client_for):
    client = client_for("therapist")
    assert client.get("/").status_code == 200  # the caseload's version row exists from here on
    new_course(personas, CourseStatus.MIDDLE)  # a change: the table is built again below

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    few = count()
    for index in range(4):
        patient = make_user(f"extra{index}@example.test", Role.PATIENT)
        team = CareTeam.objects.create(patient=patient, therapist=personas.therapist)
        course = new_course(personas, CourseStatus.INITIAL, team=team)
        hold_sessions(course, personas, index + 1)
    page_queries = count()
    assert page_queries == few
    assert "No course yet" not in client.get("/").content.decode()


def test_the_patient_chart_offers_the_therapist_to_start_a_course(personas, client_for):
    url = f"/patients/{personas.care_team.pk}/"
    page = client_for("therapist").get(url).content.decode()
    assert f'href="/patients/{personas.care_team.pk}/courses/start/"' in page
    assert "courses/start" not in client_for("supervisor").get(url).content.decode()
    course = new_course(personas, CourseStatus.INITIAL)
    page = client_for("therapist").get(url).content.decode()
    assert f'href="/courses/{course.pk}/"' in page and "courses/start" not in page
    TreatmentCourse.objects.filter(pk=course.pk).update(status=CourseStatus.COMPLETED)
    page = client_for("therapist").get(url).content.decode()
    assert "Earlier courses" in page and "courses/start" in page


# Authorization of every course page --------------------------------------------------------------

STAFF_PAGES = [
    "/courses/{id}/",
    "/courses/{id}/details/",
    "/courses/{id}/fidelity/",
    "/courses/{id}/problem-areas/",
]


@pytest.mark.parametrize("page", STAFF_PAGES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [("therapist", 200), ("supervisor", None), ("other_therapist", 404), ("patient", 403),
     ("other_patient", 403), ("admin", 403), ("anonymous", 302)],
)  # fmt: skip
def test_each_staff_course_page_answers_each_persona(personas, client_for, page, persona, status):
    course = new_course(personas)
    if persona == "supervisor":
        status = 403 if page.endswith("/details/") else 200
    response = client_for(persona).get(page.format(id=course.pk))
    assert response.status_code == status
    if status != 200:
        assert "SECRET-MEDICATION" not in response.content.decode()
        assert "Paula Tient" not in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["supervisor", "other_therapist", "patient", "other_patient", "admin", "anonymous"]
)
def test_nobody_but_the_therapist_can_write_to_the_course(personas, client_for, persona):
    course = new_course(personas)
    client = client_for(persona)
    client.post(f"/courses/{course.pk}/status/", {"to_status": "discontinued", "reason": "Probe"})
    client.post(f"/courses/{course.pk}/details/", {"planned_sessions": "12", "target_conditions": ["ptsd"]})
    client.post(f"/courses/{course.pk}/problem-areas/", {"kind": "grief", "rank": "primary"})
    client.post(
        f"/patients/{personas.care_team.pk}/courses/start/",
        {"format": "ipc", "planned_sessions": "4", "target_conditions": ["ptsd"]},
    )
    course.refresh_from_db()
    assert (course.status, course.planned_sessions, course.target_conditions) == (
        "intake",
        14,
        ["depression"],
    )
    assert not ProblemArea.objects.exists() and TreatmentCourse.objects.count() == 1


def test_a_therapist_cannot_reach_another_therapists_course_by_its_id(personas, client_for):
    theirs = new_course(personas, team=personas.other_care_team, therapist=personas.other_therapist)
    client = client_for("therapist")
    for page in [*STAFF_PAGES, "/courses/{id}/status/"]:
        response = client.get(page.format(id=theirs.pk))
        assert response.status_code in (404, 405)
    assert client.post(f"/courses/{theirs.pk}/status/", {"to_status": "initial"}).status_code == 404
    assert client.get(f"/patients/{personas.other_care_team.pk}/courses/start/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "intake"
