"""Every visits view, as every persona: who may read, who may write, and that refusals change nothing.

other_therapist and other_patient get 404 for what is not theirs (the same as "missing"), the
admin and the wrong role get 403, the supervisor reads but never writes, anonymous is sent to sign in.
"""

import pytest
from django.urls import reverse

from ipt.care.models import HomeworkTask
from ipt.visits.models import Addendum, Encounter, SessionNote
from ipt.visits.tests.conftest import make_course, note_form, note_url, start_session

PERSONAS = ["therapist", "supervisor", "other_therapist", "patient", "other_patient", "admin", "anonymous"]
STAFF_READ = {
    "therapist": 200,
    "supervisor": 200,
    "other_therapist": 404,
    "patient": 403,
    "other_patient": 403,
    "admin": 403,
    "anonymous": 302,
}
STAFF_WRITE = {**STAFF_READ, "supervisor": 403}
PATIENT_OWN = {
    "therapist": 403,
    "supervisor": 403,
    "other_therapist": 403,
    "patient": 200,
    "other_patient": 404,  # has no course, or (my_todo) the task is not theirs
    "admin": 403,
    "anonymous": 302,
}


@pytest.fixture
def world(personas, course, client_for):
    """A signed session 1 (with to-dos) and a draft session 2 in the patient's course."""
    signed, _ = start_session(course, personas.therapist)
    client_for("therapist").post(note_url("session_note_sign", signed), note_form(signed))
    draft, _ = start_session(course, personas.therapist)
    return {"signed": signed, "draft": draft, "task": HomeworkTask.objects.filter(course=course).first()}


def snapshot() -> dict:
    notes = {
        str(note.pk): (note.status, note.plan, note.mood_since_last, note.private_notes)
        for note in SessionNote.objects.all()
    }
    tasks = {str(task.pk): (task.status, task.check_in) for task in HomeworkTask.objects.all()}
    return {
        "encounters": Encounter.objects.count(),
        "addenda": Addendum.objects.count(),
        "notes": notes,
        "tasks": tasks,
    }


def staff_reads(course, world):
    return {
        "course_sessions": reverse("course_sessions", args=[course.pk]),
        "session_note (draft)": note_url("session_note", world["draft"]),
        "session_note (signed)": note_url("session_note", world["signed"]),
        "course_homework": reverse("course_homework", args=[course.pk]),
    }


def staff_writes(course, world):
    draft, signed = world["draft"], world["signed"]
    changed = note_form(draft, plan="Written by an intruder 6612")
    return {
        "start a session": (reverse("course_sessions", args=[course.pk]), {"number": "3"}),
        "save draft": (note_url("session_note", draft), changed),
        "autosave": (note_url("session_note_autosave", draft), changed),
        "sign": (note_url("session_note_sign", draft), changed),
        "addendum": (note_url("session_note_addendum", signed), {"text": "Intruder addendum"}),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_pages_are_read_by_the_therapist_and_supervisor_only(persona, course, world, client_for):
    client = client_for(persona)
    for name, url in staff_reads(course, world).items():
        response = client.get(url)
        assert response.status_code == STAFF_READ[persona], (name, persona)
        if persona == "anonymous":
            assert response["Location"].startswith(reverse("login")), name
        if response.status_code != 200:
            assert "SUMMARY-MARKER" not in response.text and "PRIVATE-MARKER" not in response.text


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "therapist"])
def test_only_the_courses_therapist_writes_and_refusals_change_nothing(persona, course, world, client_for):
    client = client_for(persona)
    before = snapshot()
    for name, (url, data) in staff_writes(course, world).items():
        response = client.post(url, data)
        assert response.status_code == STAFF_WRITE[persona], (name, persona)
        assert "PRIVATE-MARKER" not in response.text
    assert snapshot() == before


def test_the_therapist_writes_every_staff_endpoint(course, world, client_for):
    client = client_for("therapist")
    statuses = {
        name: client.post(url, data).status_code for name, (url, data) in staff_writes(course, world).items()
    }
    assert statuses == {
        "start a session": 302,
        "save draft": 302,
        "autosave": 200,
        "sign": 302,
        "addendum": 302,
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_patient_pages_are_the_patients_own(persona, course, world, client_for):
    client = client_for(persona)
    task = world["task"]
    before = snapshot()

    for url in (reverse("my_todos"), reverse("my_sessions"), reverse("my_todo", args=[task.pk])):
        response = client.get(url)
        assert response.status_code == PATIENT_OWN[persona], (url, persona)
    if persona != "patient":
        response = client.post(
            reverse("my_todo", args=[task.pk]), {"status": "tried", "check_in": "intruder"}
        )
        assert response.status_code == PATIENT_OWN[persona]
        assert snapshot() == before


def test_another_patient_with_their_own_course_still_cannot_reach_this_patients_to_do(
    personas, course, other_course, world, client_for
):
    other = client_for("other_patient")
    before = snapshot()

    own = other.get(reverse("my_todos"))
    theirs = other.post(reverse("my_todo", args=[world["task"].pk]), {"status": "tried"})

    assert own.status_code == 200 and "Ask Sam" not in own.text
    assert other.get(reverse("my_sessions")).status_code == 200
    assert "SUMMARY-MARKER" not in other.get(reverse("my_sessions")).text
    assert theirs.status_code == 404
    assert snapshot() == before


def test_ids_from_another_course_or_junk_are_404_not_500(personas, course, other_course, world, client_for):
    other_encounter, _ = start_session(other_course, personas.other_therapist)
    therapist = client_for("therapist")
    mixed = reverse("session_note", args=[course.pk, other_encounter.pk])
    their_course = reverse("session_note", args=[other_course.pk, other_encounter.pk])
    missing = reverse("session_note", args=[course.pk, "00000000-0000-0000-0000-000000000000"])

    assert therapist.get(mixed).status_code == 404
    assert therapist.get(their_course).status_code == 404
    assert therapist.get(missing).status_code == 404
    autosave = reverse("session_note_autosave", args=[course.pk, other_encounter.pk])
    assert therapist.post(autosave, note_form(other_encounter)).status_code == 404
    assert therapist.get(f"/courses/{course.pk}/sessions/not-a-uuid/note/").status_code == 404


def test_methods_not_listed_are_refused(course, world, client_for):
    therapist = client_for("therapist")
    assert therapist.get(note_url("session_note_autosave", world["draft"])).status_code == 405
    assert therapist.get(note_url("session_note_sign", world["draft"])).status_code == 405
    assert therapist.put(reverse("course_sessions", args=[course.pk])).status_code == 405
    assert therapist.post(reverse("course_homework", args=[course.pk])).status_code == 405
    assert client_for("patient").post(reverse("my_sessions")).status_code == 405


def test_a_course_of_another_care_team_is_404_for_the_therapist_and_supervisor(personas, client_for):
    course = make_course(personas.other_care_team)
    assert client_for("therapist").get(reverse("course_sessions", args=[course.pk])).status_code == 404
    assert client_for("supervisor").get(reverse("course_sessions", args=[course.pk])).status_code == 404
