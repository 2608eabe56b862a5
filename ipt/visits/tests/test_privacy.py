"""Private psychotherapy notes reach only the course's therapist; the patient sees shared summaries of
signed notes only. Judged on response bodies, with marker strings."""

import pytest
from django.db import connection
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.models import HomeworkTask
from ipt.visits import access
from ipt.visits.tests.conftest import PRIVATE_MARKER, SUMMARY_MARKER, note_form, note_url, start_session

# Fields of a note (other than the shared summary) that the patient must never see.
CLINICAL_ONLY = ["Continue role dispute work.", "No thoughts of self-harm.", "argued with Sam on Tuesday"]


def patient_pages(client, course) -> list[str]:
    bodies = [client.get(url).text for url in ("/", reverse("my_sessions"), reverse("my_todos"))]
    for task in HomeworkTask.objects.filter(course=course):
        bodies.append(client.get(reverse("my_todo", args=[task.pk])).text)
    return bodies


@pytest.fixture
def drafted(personas, course, client_for):
    encounter, _note = start_session(course, personas.therapist)
    response = client_for("therapist").post(
        note_url("session_note_autosave", encounter), note_form(encounter)
    )
    assert response.status_code == 200
    return encounter


def test_the_therapist_sees_their_private_notes_on_the_draft_and_the_signed_note(drafted, course, client_for):
    therapist = client_for("therapist")

    draft = therapist.get(note_url("session_note", drafted))
    therapist.post(note_url("session_note_sign", drafted), note_form(drafted))
    signed = therapist.get(note_url("session_note", drafted))

    assert PRIVATE_MARKER in draft.text and PRIVATE_MARKER in signed.text
    assert "Never shown to the patient or exported" in draft.text


def test_the_supervisor_reads_the_note_but_never_the_private_notes(drafted, course, client_for):
    supervisor = client_for("supervisor")

    draft = supervisor.get(note_url("session_note", drafted))
    client_for("therapist").post(note_url("session_note_sign", drafted), note_form(drafted))
    signed = supervisor.get(note_url("session_note", drafted))
    others = [
        supervisor.get(reverse("course_sessions", args=[course.pk])),
        supervisor.get(reverse("course_homework", args=[course.pk])),
        supervisor.post(note_url("session_note_autosave", drafted), note_form(drafted)),
        supervisor.post(note_url("session_note_addendum", drafted), {"text": "Supervisor wrote"}),
    ]

    assert draft.status_code == 200 and signed.status_code == 200
    assert "Continue role dispute work." in draft.text and SUMMARY_MARKER in signed.text
    assert 'id="note-form"' not in draft.text  # read only
    for response in [draft, signed, *others]:
        assert PRIVATE_MARKER not in response.text
        assert "PRIVATE-MARKER" not in response.text
    assert [r.status_code for r in others] == [200, 200, 403, 403]


def test_a_draft_summary_never_reaches_the_patient(drafted, course, client_for):
    patient = client_for("patient")

    for body in patient_pages(patient, course):
        assert SUMMARY_MARKER not in body
        assert "PRIVATE-MARKER" not in body
    assert "No summaries yet" in patient.get(reverse("my_sessions")).text


def test_after_signing_the_patient_sees_the_summary_and_nothing_else_of_the_note(drafted, course, client_for):
    client_for("therapist").post(note_url("session_note_sign", drafted), note_form(drafted))
    patient = client_for("patient")

    sessions = patient.get(reverse("my_sessions"))
    bodies = patient_pages(patient, course)

    assert sessions.status_code == 200
    assert SUMMARY_MARKER in sessions.text and "Session 1" in sessions.text
    for body in bodies:
        assert "PRIVATE-MARKER" not in body
        for text in CLINICAL_ONLY:
            assert text not in body
    other = client_for("other_patient")
    for body in patient_pages(other, course)[:3]:
        assert SUMMARY_MARKER not in body and "PRIVATE-MARKER" not in body


def test_patient_reads_never_load_the_private_notes(
    drafted, course, personas, client_for, django_assert_num_queries
):
    client_for("therapist").post(note_url("session_note_sign", drafted), note_form(drafted))

    summaries = access.shared_summaries_for(personas.patient, course)
    tasks = list(access.homework_with_sessions_for(personas.patient, course))

    assert set(summaries[0]) == {"number", "starts_at", "summary", "signed_at"}
    for task in tasks:
        assert "private_notes" not in task.agreed_in.__dict__
        assert task.agreed_in.get_deferred_fields() >= {"private_notes", "shared_summary", "plan"}
    supervisor_note = access.get_note_for(personas.supervisor, course, drafted.pk)
    assert "private_notes" in supervisor_note.get_deferred_fields()
    with pytest.raises(Exception, match="No such session note"):
        access.get_note_for(personas.patient, course, drafted.pk)


def test_private_notes_are_encrypted_at_rest_and_never_in_the_audit_trail(drafted, course, client_for):
    client_for("therapist").post(note_url("session_note_sign", drafted), note_form(drafted))

    with connection.cursor() as cursor:
        cursor.execute("SELECT private_notes, shared_summary FROM visits_sessionnote")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    details = " ".join(str(d) for d in AuditEvent.objects.values_list("detail", flat=True))

    assert "PRIVATE-MARKER" not in stored and "SUMMARY-MARKER" not in stored
    assert "MARKER" not in details
