"""The lesson pages: the therapist's catalogue for a course, the patient's list and a lesson."""

import pytest
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus, ProblemArea, ProblemAreaKind, ProblemAreaRank, TreatmentCourse
from ipt.practice.lesson_actions import assign_lesson
from ipt.practice.models import LessonAssignment

NOTE = "NOTE-MARKER read this before we talk about Sam"
OTHER_NOTE = "OTHER-NOTE-MARKER for the other patient only"


def make_course(
    care_team, status=CourseStatus.MIDDLE, kinds=(ProblemAreaKind.ROLE_DISPUTE,)
) -> TreatmentCourse:
    course = TreatmentCourse.objects.create(care_team=care_team, status=status, planned_sessions=16)
    for kind, rank in zip(kinds, ProblemAreaRank.values, strict=False):
        ProblemArea.objects.create(course=course, kind=kind, rank=rank)
    return course


@pytest.fixture
def course(personas):
    return make_course(personas.care_team)


@pytest.fixture
def other_course(personas):
    course = make_course(personas.other_care_team)
    assign_lesson(actor=personas.other_therapist, course=course, lesson="grief", note=OTHER_NOTE)
    return course


def course_url(course):
    return reverse("course_lessons", args=[course.pk])


def lesson_url(slug):
    return reverse("my_lesson", args=[slug])


def reads():
    return AuditEvent.objects.filter(action="lessons.read")


# The course page ---------------------------------------------------------------------------------


def test_the_therapist_sees_every_lesson_with_its_status_and_suggestions(personas, client_for, course):
    assign_lesson(actor=personas.therapist, course=course, lesson="grief", note=NOTE)
    response = client_for("therapist").get(course_url(course))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="card lesson-row') == 8
    assert "Not assigned" in page and "not opened yet" in page and NOTE in page
    assert page.count("lesson-suggested") == 2  # role disputes (area) and communication (middle phase)
    assert reads().filter(object_id=str(course.pk), patient=personas.patient).count() == 1


def test_suggestions_follow_the_courses_problem_areas(personas, client_for):
    course = make_course(personas.care_team, kinds=(ProblemAreaKind.GRIEF, ProblemAreaKind.ROLE_TRANSITION))
    response = client_for("therapist").get(course_url(course))
    suggested = {row["lesson"].slug for row in response.context["rows"] if row["suggestion"]}
    assert suggested == {"grief", "role-transitions", "communication-skills"}


def test_the_therapist_assigns_with_a_note_and_the_page_shows_it(personas, client_for, course):
    client = client_for("therapist")
    response = client.post(course_url(course), {"intent": "assign", "lesson": "grief", "note": NOTE})
    assert response.status_code == 302
    assignment = LessonAssignment.objects.get(course=course)
    assert assignment.lesson == "grief" and assignment.note == NOTE
    assert AuditEvent.objects.filter(action="lessons.assign", object_id=str(assignment.pk)).exists()
    assert "is assigned" in client.get(course_url(course)).content.decode()


def test_the_therapist_unassigns(personas, client_for, course):
    assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    response = client_for("therapist").post(course_url(course), {"intent": "unassign", "lesson": "grief"})
    assert response.status_code == 302
    assert not LessonAssignment.objects.exists()
    assert AuditEvent.objects.filter(action="lessons.unassign").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"intent": "assign", "lesson": "no-such-lesson"}, "Choose a lesson from the list"),
        ({"intent": "assign", "lesson": "grief", "note": "x" * 301}, "at most 300 characters"),
        ({"intent": "unassign", "lesson": "grief"}, "not assigned"),
        ({"intent": "burn", "lesson": "grief"}, "Choose one of the buttons"),
        ({"junk": "1"}, "Choose one of the buttons"),
        ({}, "Choose one of the buttons"),
    ],
)
def test_bad_input_on_the_course_page_gives_a_clear_message_and_changes_nothing(
    personas, client_for, course, data, message
):
    response = client_for("therapist").post(course_url(course), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LessonAssignment.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["lessons.assign", "lessons.unassign"]).exists()


def test_the_supervisor_reads_but_gets_no_buttons(personas, client_for, course):
    response = client_for("supervisor").get(course_url(course))
    assert response.status_code == 200
    assert 'name="intent"' not in response.content.decode()


@pytest.mark.parametrize(
    "persona, status",
    [
        ("therapist", 200),
        ("supervisor", 200),
        ("other_therapist", 404),
        ("patient", 403),
        ("other_patient", 403),
        ("admin", 403),
        ("anonymous", 302),
    ],
)
def test_who_can_read_the_course_page(personas, client_for, course, persona, status):
    assign_lesson(actor=personas.therapist, course=course, lesson="grief", note=NOTE)
    response = client_for(persona).get(course_url(course))
    assert response.status_code == status
    if status != 200:
        assert NOTE not in response.content.decode()


@pytest.mark.parametrize(
    "persona, status",
    [
        ("supervisor", 403),
        ("other_therapist", 404),
        ("patient", 403),
        ("other_patient", 403),
        ("admin", 403),
        ("anonymous", 302),
    ],
)
def test_only_the_courses_therapist_can_assign_from_the_page(personas, client_for, course, persona, status):
    response = client_for(persona).post(course_url(course), {"intent": "assign", "lesson": "grief"})
    assert response.status_code == status
    assert not LessonAssignment.objects.exists()


def test_the_other_teams_course_is_not_found_for_the_therapist(personas, client_for, other_course):
    response = client_for("therapist").get(course_url(other_course))
    assert response.status_code == 404
    assert OTHER_NOTE not in response.content.decode()


# The patient's pages -----------------------------------------------------------------------------


def test_the_patient_sees_assigned_lessons_with_the_note_and_the_rest_as_also_available(
    personas, client_for, course, other_course
):
    assign_lesson(actor=personas.therapist, course=course, lesson="role-disputes", note=NOTE)
    response = client_for("patient").get(reverse("my_lessons"))
    assert response.status_code == 200
    page = response.content.decode()
    assert NOTE in page and "New" in page
    assert [lesson.slug for _, lesson in response.context["assigned"]] == ["role-disputes"]
    assert len(response.context["available"]) == 7
    assert "Also available" in page
    assert OTHER_NOTE not in page
    assert reads().filter(actor=personas.patient, object_id=str(course.pk)).count() == 1


def test_opening_an_assigned_lesson_sets_opened_at_once(personas, client_for, course):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    client = client_for("patient")
    response = client.get(lesson_url("grief"))
    assert response.status_code == 200
    assert "Mark as read" in response.content.decode()
    assignment.refresh_from_db()
    first = assignment.opened_at
    assert first is not None
    client.get(lesson_url("grief"))
    assignment.refresh_from_db()
    assert assignment.opened_at == first
    assert AuditEvent.objects.filter(action="lessons.open").count() == 1
    assert reads().filter(actor=personas.patient, detail__lesson="grief").count() == 2


def test_mark_as_read_completes_the_lesson(personas, client_for, course):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    client = client_for("patient")
    response = client.post(lesson_url("grief"), {"intent": "complete"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.completed_at is not None
    assert AuditEvent.objects.filter(action="lessons.complete", actor=personas.patient).count() == 1
    assert "Read on" in client.get(reverse("my_lessons")).content.decode()
    assert "completed on" in client_for("therapist").get(course_url(course)).content.decode()


def test_reading_an_unassigned_lesson_creates_no_assignment(personas, client_for, course):
    response = client_for("patient").get(lesson_url("ending-therapy"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Preparing for the end of therapy" in page and "Mark as read" not in page
    assert not LessonAssignment.objects.exists()
    assert reads().filter(actor=personas.patient, detail__lesson="ending-therapy").exists()


@pytest.mark.parametrize(
    "slug, data, message",
    [
        ("ending-therapy", {"intent": "complete"}, "not on your list"),
        ("grief", {"junk": "1"}, "Choose one of the buttons"),
        ("grief", {}, "Choose one of the buttons"),
    ],
)
def test_bad_posts_on_a_lesson_give_a_clear_message_and_change_nothing(
    personas, client_for, course, slug, data, message
):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    response = client_for("patient").post(lesson_url(slug), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.completed_at is None
    assert LessonAssignment.objects.count() == 1


def test_an_unknown_lesson_is_not_found(client_for, course):
    assert client_for("patient").get(lesson_url("no-such-lesson")).status_code == 404
    assert client_for("patient").post(lesson_url("no-such-lesson"), {"intent": "complete"}).status_code == 404


def test_another_patient_never_sees_or_changes_this_patients_lessons(
    personas, client_for, course, other_course
):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="role-disputes", note=NOTE)
    client = client_for("other_patient")
    page = client.get(reverse("my_lessons")).content.decode()
    assert NOTE not in page and OTHER_NOTE in page
    lesson_page = client.get(lesson_url("role-disputes"))
    assert lesson_page.status_code == 200 and NOTE not in lesson_page.content.decode()
    response = client.post(lesson_url("role-disputes"), {"intent": "complete"})
    assert response.status_code == 400
    assignment.refresh_from_db()
    assert assignment.opened_at is None and assignment.completed_at is None


def test_a_patient_without_a_course_gets_not_found(personas, client_for):
    assert client_for("patient").get(reverse("my_lessons")).status_code == 404
    assert client_for("patient").get(lesson_url("grief")).status_code == 404


@pytest.mark.parametrize(
    "persona, status",
    [("therapist", 403), ("supervisor", 403), ("other_therapist", 403), ("admin", 403), ("anonymous", 302)],
)
def test_staff_and_anonymous_never_get_the_patient_pages(personas, client_for, course, persona, status):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief", note=NOTE)
    client = client_for(persona)
    for response in (
        client.get(reverse("my_lessons")),
        client.get(lesson_url("grief")),
        client.post(lesson_url("grief"), {"intent": "complete"}),
    ):
        assert response.status_code == status
        assert NOTE not in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.opened_at is None and assignment.completed_at is None


def test_an_ended_course_shows_no_buttons_and_refuses_a_posted_assignment(personas, client_for):
    ended = make_course(personas.care_team, status=CourseStatus.COMPLETED)
    client = client_for("therapist")
    page = client.get(course_url(ended)).content.decode()
    assert "This course has ended" in page and 'name="intent"' not in page
    response = client.post(course_url(ended), {"intent": "assign", "lesson": "grief"})
    assert response.status_code == 400
    assert "can no longer change" in response.content.decode()
    assert not LessonAssignment.objects.exists()
