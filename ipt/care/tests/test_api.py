"""Courses, inventory, timeline and notes over the JSON API, as each persona."""

import datetime

import pytest

from ipt.care.models import InventoryPerson, TimelineEvent, TreatmentCourse
from ipt.visits.models import Encounter, NoteStatus, SessionNote


@pytest.fixture
def course(personas):
    course = TreatmentCourse.objects.create(
        care_team=personas.care_team, status="middle", planned_sessions=14
    )
    sam = InventoryPerson.objects.create(course=course, name="Sam", relation="partner", closeness_ring=1)
    TimelineEvent.objects.create(
        course=course,
        occurred_on=datetime.date(2026, 6, 1),
        event_type="conflict",
        person=sam,
        description="Argument about moving",
        mood=3,
        created_by=personas.therapist,
    )
    for number, status in ((1, NoteStatus.SIGNED), (2, NoteStatus.DRAFT)):
        encounter = Encounter.objects.create(
            course=course, number=number, phase="middle", created_by=personas.therapist
        )
        SessionNote.objects.create(
            encounter=encounter,
            status=status,
            shared_summary=f"SUMMARY-{number}",
            private_notes=f"PRIVATE-{number}",
            mood_since_last="low",
        )
    return course


def test_a_therapist_lists_and_reads_their_course_with_its_checklist(course, client_for):
    client = client_for("therapist")
    [summary] = client.get("/api/v1/courses").json()
    assert (
        summary["id"] == str(course.pk)
        and summary["sessions_held"] == 2
        and summary["planned_sessions"] == 14
    )
    detail = client.get(f"/api/v1/courses/{course.pk}").json()
    phases = {phase["phase"]: phase["items"] for phase in detail["checklist"]}
    assert {"label": "Interpersonal inventory taken", "done": True} in phases["initial"]
    assert {"label": "Treatment contract agreed", "done": False} in phases["initial"]


def test_the_patient_reads_their_inventory_and_timeline(course, client_for):
    client = client_for("patient")
    assert [person["name"] for person in client.get(f"/api/v1/courses/{course.pk}/inventory").json()] == [
        "Sam"
    ]
    [event] = client.get(f"/api/v1/courses/{course.pk}/timeline").json()
    assert event["description"] == "Argument about moving" and event["mood"] == 3


def test_notes_over_the_api_never_carry_private_notes(course, client_for):
    for persona in ("therapist", "supervisor"):
        response = client_for(persona).get(f"/api/v1/courses/{course.pk}/notes")
        assert response.status_code == 200
        assert [note["number"] for note in response.json()] == [1, 2]
        assert "PRIVATE" not in response.content.decode()


def test_the_patient_gets_only_signed_shared_summaries(course, client_for):
    client = client_for("patient")
    assert client.get(f"/api/v1/courses/{course.pk}/notes").status_code == 403
    response = client.get(f"/api/v1/courses/{course.pk}/summaries")
    assert [item["shared_summary"] for item in response.json()] == ["SUMMARY-1"]
    assert "PRIVATE" not in response.content.decode() and "SUMMARY-2" not in response.content.decode()


@pytest.mark.parametrize("persona", ["other_therapist", "other_patient", "admin"])
def test_outsiders_get_nothing_of_the_course(course, client_for, persona):
    client = client_for(persona)
    assert client.get("/api/v1/courses").json() == []
    for suffix in ("", "/inventory", "/timeline", "/notes", "/summaries"):
        response = client.get(f"/api/v1/courses/{course.pk}{suffix}")
        assert response.status_code == 404, suffix
        assert "Sam" not in response.content.decode()
