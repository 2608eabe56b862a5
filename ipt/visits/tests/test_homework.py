"""Work at home: to-dos from a signed note, the patient's check-in, and the therapist's review."""

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.models import HomeworkStatus, HomeworkTask
from ipt.visits import access
from ipt.visits.tests.conftest import note_form, note_url, start_session

FIRST, SECOND = "Ask Sam for one evening a week together", "Notice one thing Sam does well"


def task_described(text: str) -> HomeworkTask:
    """Descriptions are encrypted, so they cannot be looked up in SQL."""
    return next(task for task in HomeworkTask.objects.all() if task.description == text)


def sign_first_session(personas, course, client):
    encounter, note = start_session(course, personas.therapist)
    response = client.post(note_url("session_note_sign", encounter), note_form(encounter))
    assert response.status_code == 302
    return encounter, note


def test_signing_turns_each_line_of_work_at_home_into_a_to_do_on_the_patients_list(
    personas, course, client_for
):
    therapist = client_for("therapist")
    _, note = sign_first_session(personas, course, therapist)

    tasks = HomeworkTask.objects.filter(agreed_in=note)
    assert sorted(t.description for t in tasks) == [FIRST, SECOND]  # list markers and blank lines dropped
    assert all(t.course == course and t.status == HomeworkStatus.OPEN for t in tasks)
    page = client_for("patient").get(reverse("my_todos"))
    assert page.status_code == 200
    assert FIRST in page.text and SECOND in page.text
    assert "From session 1" in page.text
    assert "I tried it" in page.text and "I didn&#x27;t get to it" in page.text


def test_the_patient_checks_in_and_the_therapist_sees_it_on_the_next_session_note(
    personas, course, client_for
):
    therapist, patient = client_for("therapist"), client_for("patient")
    sign_first_session(personas, course, therapist)
    task = task_described(FIRST)

    response = patient.post(
        reverse("my_todo", args=[task.pk]), {"status": "tried", "check_in": "We had dinner on Friday 4417"}
    )

    assert response.status_code == 302 and response["Location"] == reverse("my_todos")
    task.refresh_from_db()
    assert task.status == HomeworkStatus.TRIED and task.check_in == "We had dinner on Friday 4417"
    assert task.checked_in_at is not None
    event = AuditEvent.objects.get(action="homework.check_in")
    assert event.actor == personas.patient and event.detail == {"status": "tried"}
    assert "We had dinner on Friday 4417" in patient.get(reverse("my_todos")).text
    therapist.post(reverse("course_sessions", args=[course.pk]), {"number": "2"})
    second = course.encounters.get(number=2)
    page = therapist.get(note_url("session_note", second))
    assert "Work at home to review" in page.text
    assert "We had dinner on Friday 4417" in page.text and "Patient tried it" in page.text
    assert SECOND in page.text and "No check-in yet" in page.text
    staff_list = therapist.get(reverse("course_homework", args=[course.pk]))
    assert "We had dinner on Friday 4417" in staff_list.text and SECOND in staff_list.text
    supervisor_list = client_for("supervisor").get(reverse("course_homework", args=[course.pk]))
    assert supervisor_list.status_code == 200 and "We had dinner on Friday 4417" in supervisor_list.text


def test_a_patient_who_did_not_get_to_it_says_so_and_can_change_it_later(personas, course, client_for):
    patient = client_for("patient")
    sign_first_session(personas, course, client_for("therapist"))
    task = task_described(SECOND)

    patient.post(reverse("my_todo", args=[task.pk]), {"status": "not_tried"})
    page = patient.get(reverse("my_todo", args=[task.pk]))
    patient.post(reverse("my_todo", args=[task.pk]), {"status": "tried", "check_in": "Did it after all"})

    assert page.status_code == 200 and "How did it go?" in page.text
    task.refresh_from_db()
    assert task.status == HomeworkStatus.TRIED and task.check_in == "Did it after all"
    assert AuditEvent.objects.filter(action="homework.check_in").count() == 2


def test_a_check_in_without_a_choice_is_refused_and_changes_nothing(personas, course, client_for):
    patient = client_for("patient")
    sign_first_session(personas, course, client_for("therapist"))
    task = task_described(FIRST)

    for data in (
        {"check_in": "forgot to choose"},
        {"status": "open"},
        {"status": "done", "check_in": "x" * 5000},
    ):
        response = patient.post(reverse("my_todo", args=[task.pk]), data)
        assert response.status_code == 400
        assert "Choose “I tried it” or “I didn&#x27;t get to it”." in response.text

    task.refresh_from_db()
    assert task.status == HomeworkStatus.OPEN and task.check_in == "" and task.checked_in_at is None


def test_the_home_page_to_dos_show_the_open_tasks_only(personas, course, client_for):
    sign_first_session(personas, course, client_for("therapist"))
    done = task_described(SECOND)
    client_for("patient").post(reverse("my_todo", args=[done.pk]), {"status": "tried"})
    request = RequestFactory().get("/")
    request.user = personas.patient

    todos = access.open_todos_for_patient(personas.patient)
    html = render_to_string("visits/_patient_todos.html", {"todos": todos}, request=request)

    assert [t.description for t in todos] == [FIRST]
    assert FIRST in html and SECOND not in html
    assert reverse("my_todo", args=[todos[0].pk]) in html
    assert access.open_todos_for_patient(personas.therapist) == []
    assert access.open_todos_for_patient(personas.other_patient) == []
    empty = render_to_string("visits/_patient_todos.html", {"todos": []}, request=request)
    assert empty.strip() == "" or "To-dos" not in empty


def test_the_home_page_helper_takes_the_course_the_home_page_already_has(personas, course, client_for):
    sign_first_session(personas, course, client_for("therapist"))

    assert len(access.open_todos_for_patient(personas.patient, course)) == 2
    assert access.open_todos_for_patient(personas.therapist, course) == []
