"""The fidelity view: which IPT tasks and techniques were done in which session, from signed notes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.care.actions.course import start_course
from ipt.care.fidelity import fidelity_table
from ipt.care.models import (
    ClosenessSnapshot,
    Formulation,
    InventoryPerson,
    ProblemArea,
    TimelineEvent,
    TreatmentContract,
)
from ipt.visits.models import Encounter, NoteStatus, SessionNote


@pytest.fixture
def course(personas):
    return start_course(
        actor=personas.therapist,
        care_team=personas.care_team,
        format="ipt",
        planned_sessions=12,
        target_conditions=["depression"],
    )


def session(course, personas, number, phase="middle", status="finished", signed=True, **note_fields):
    encounter = Encounter.objects.create(
        course=course,
        number=number,
        phase=phase,
        status=status,
        created_by=personas.therapist,
        starts_at=timezone.now() - datetime.timedelta(days=30 - number),
    )
    if signed is not None:
        SessionNote.objects.create(
            encounter=encounter,
            status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
            signed_at=timezone.now() if signed else None,
            **note_fields,
        )
    return encounter


def at(day: int) -> datetime.datetime:
    return datetime.datetime(2025, 1, day, 10, 0, tzinfo=datetime.UTC)


def test_the_table_shows_tasks_and_techniques_per_signed_session(personas, course):
    area = ProblemArea.objects.create(course=course, kind="role_dispute", rank="primary")
    session(course, personas, 1, "initial", initial_tasks=["symptoms_reviewed", "sick_role_explained"],
            techniques=["exploratory_questioning"], risk_level="none")  # fmt: skip
    session(course, personas, 2, "middle", techniques=["communication_analysis", "role_play"],
            problem_area_focus=area, homework_review="Tried it", risk_review="No thoughts of harm")  # fmt: skip
    session(
        course, personas, 3, "middle", signed=False, techniques=["decision_analysis"], problem_area_focus=area
    )
    session(course, personas, 4, "middle", status="cancelled", signed=None)

    table = fidelity_table(course)

    first, second, draft, cancelled = table.sessions
    assert first.note_signed and first.initial_tasks == {"symptoms_reviewed", "sick_role_explained"}
    assert (
        first.techniques == {"exploratory_questioning"}
        and first.risk_reviewed
        and not first.homework_reviewed
    )
    assert first.problem_area_focus == "" and first.phase_label == "Initial phase"
    assert second.techniques == {"communication_analysis", "role_play"}
    assert second.problem_area_focus == "Role dispute" and second.homework_reviewed and second.risk_reviewed
    assert not draft.note_signed and draft.techniques == frozenset() and draft.problem_area_focus == ""
    assert not cancelled.note_signed and not cancelled.is_held and cancelled.status_label == "Cancelled"
    assert table.signed_count == 2
    assert table.technique_totals() == [1, 0, 0, 1, 0, 1, 0]  # drafts do not count
    assert table.initial_task_totals() == [1, 0, 1, 0]
    assert (table.focus_total, table.homework_total, table.risk_total) == (1, 1, 2)


def test_course_tasks_show_the_date_each_was_first_done(personas, course):
    therapist = personas.therapist
    assert not any(task.done for task in fidelity_table(course).course_tasks)
    InventoryPerson.objects.create(course=course, name="Sam", relation="partner", created_at=at(3))
    InventoryPerson.objects.create(course=course, name="Kim", relation="friend", created_at=at(2))
    ClosenessSnapshot.objects.create(
        course=course, moment="end", taken_by=therapist, people="[]", taken_at=at(1)
    )
    ClosenessSnapshot.objects.create(
        course=course, moment="start", taken_by=therapist, people="[]", taken_at=at(4)
    )
    TimelineEvent.objects.create(
        course=course,
        occurred_on=datetime.date(2020, 1, 1),
        event_type="move",
        created_by=therapist,
        created_at=at(5),
    )
    ProblemArea.objects.create(course=course, kind="grief", rank="primary", chosen_at=at(6))
    Formulation.objects.create(
        course=course, version=1, clinical_text="c", plain_text="p", written_by=therapist
    )
    Formulation.objects.create(
        course=course, version=2, clinical_text="c", plain_text="p", written_by=therapist, shared_at=at(7)
    )
    contract = {
        "sessions_planned": 12,
        "schedule": "s",
        "goals": "g",
        "missed_session_policy": "m",
        "drafted_by": therapist,
    }
    TreatmentContract.objects.create(
        course=course, version=1, therapist_signed_at=at(1), **contract
    )  # never agreed
    TreatmentContract.objects.create(
        course=course, version=2, therapist_signed_at=at(8), patient_signed_at=at(9), **contract
    )
    TreatmentContract.objects.create(
        course=course, version=3, therapist_signed_at=at(20), patient_signed_at=at(10), **contract
    )

    firsts = {task.label: task.first_done for task in fidelity_table(course).course_tasks}

    assert firsts == {
        "Interpersonal inventory taken": at(2),
        "Closeness circle drawn": at(4),
        "Interpersonal timeline built": at(5),
        "Primary problem area chosen": at(6),
        "Formulation shared": at(7),
        "Treatment contract signed by both": at(9),
    }


def test_the_table_costs_the_same_queries_for_two_sessions_or_ten(personas, course):
    area = ProblemArea.objects.create(course=course, kind="grief", rank="primary")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            fidelity_table(course)
        return len(queries)

    for number in (1, 2):
        session(course, personas, number, problem_area_focus=area, techniques=["clarification"])
    few = count_queries()
    for number in range(3, 11):
        session(course, personas, number, problem_area_focus=area, techniques=["clarification"])
    assert count_queries() == few <= 3


def test_the_page_shows_the_table_to_the_supervisor_and_audits_the_read(personas, client_for, course):
    area = ProblemArea.objects.create(course=course, kind="role_dispute", rank="primary")
    session(course, personas, 1, techniques=["role_play"], problem_area_focus=area, homework_review="ok")
    session(course, personas, 2, signed=False)
    InventoryPerson.objects.create(course=course, name="Sam", relation="partner", created_at=at(3))
    for persona in ("supervisor", "therapist"):
        response = client_for(persona).get(f"/courses/{course.pk}/fidelity/")
        page = response.content.decode()
        assert response.status_code == 200
        assert "Role-play" in page and "Communication analysis" in page and "Sick role explained" in page
        assert "Role dispute" in page and "Note not signed yet: not counted." in page
        assert "1 of 2 sessions has a signed note" in page
        assert "3 Jan 2025" in page and "Not yet" in page
    reads = AuditEvent.objects.filter(action="course.fidelity.read", patient=personas.patient)
    assert {event.actor_role for event in reads} == {"supervisor", "therapist"}


def test_the_supervisor_can_read_the_fidelity_view_but_not_write_through_it(personas, client_for, course):
    client = client_for("supervisor")
    assert client.get(f"/courses/{course.pk}/fidelity/").status_code == 200
    assert client.post(f"/courses/{course.pk}/fidelity/", {"probe": "x"}).status_code == 405
    assert client.post(f"/courses/{course.pk}/status/", {"to_status": "initial"}).status_code == 403
    course.refresh_from_db()
    assert course.status == "intake"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("other_therapist", 404), ("patient", 403), ("other_patient", 403), ("admin", 403)],
)
def test_the_fidelity_view_is_hidden_from_everyone_else(personas, client_for, course, persona, status):
    session(course, personas, 1, techniques=["role_play"])
    response = client_for(persona).get(f"/courses/{course.pk}/fidelity/")
    assert response.status_code == status
    assert "Role-play" not in response.content.decode()
