"""Problem areas: one primary, at most one secondary, pre-filled from templates, edited by the therapist."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.care.actions import problem_areas as area_actions
from ipt.care.actions.course import start_course
from ipt.care.models import (
    CourseStatus,
    DisputeStageChange,
    InventoryPerson,
    ProblemArea,
    TreatmentCourse,
)
from ipt.care.problem_area_templates import TEMPLATES


@pytest.fixture
def course(personas):
    return start_course(
        actor=personas.therapist,
        care_team=personas.care_team,
        format="ipt",
        planned_sessions=14,
        target_conditions=["depression"],
    )


@pytest.fixture
def other_course(personas):
    return start_course(
        actor=personas.other_therapist,
        care_team=personas.other_care_team,
        format="ipc",
        planned_sessions=4,
        target_conditions=["anxiety"],
    )


def choose(client, course, kind, rank):
    return client.post(f"/courses/{course.pk}/problem-areas/", {"kind": kind, "rank": rank})


def area_url(area):
    return f"/courses/{area.course_id}/problem-areas/{area.pk}/"


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_choosing_an_area_prefills_its_goals_and_strategies_from_the_template(
    personas, client_for, course, kind
):
    client = client_for("therapist")
    response = choose(client, course, kind, "primary")
    area = ProblemArea.objects.get(course=course)
    assert response.status_code == 302 and response["Location"] == area_url(area)
    assert (area.kind, area.rank) == (kind, "primary")
    assert area.goals == TEMPLATES[kind].goals and area.strategies == TEMPLATES[kind].strategies
    page = client.get(area_url(area)).content.decode()
    first_goal = TEMPLATES[kind].goals.splitlines()[0].replace("'", "&#x27;")
    assert first_goal in page and "<textarea" in page
    event = AuditEvent.objects.get(action="problem_area.choose")
    assert event.detail == {"kind": kind, "rank": "primary"}


def test_the_therapist_edits_the_prefilled_goals_and_strategies(personas, client_for, course):
    client = client_for("therapist")
    choose(client, course, "role_transition", "primary")
    area = ProblemArea.objects.get()
    response = client.post(
        area_url(area),
        {
            "intent": "update",
            "old_role": "Nurse",
            "new_role": "Retired",
            "goals": "Find a new rhythm",
            "strategies": "Join the choir",
        },
    )
    assert response.status_code == 302
    area.refresh_from_db()
    assert (area.old_role, area.new_role, area.goals, area.strategies) == (
        "Nurse",
        "Retired",
        "Find a new rhythm",
        "Join the choir",
    )
    event = AuditEvent.objects.get(action="problem_area.update")
    assert "Retired" not in str(event.detail) and "rhythm" not in str(event.detail)


def test_at_most_one_primary_and_one_secondary(personas, client_for, course):
    client = client_for("therapist")
    response = choose(client, course, "role_dispute", "secondary")
    assert (
        response.status_code == 400 and "Choose the primary problem area first." in response.content.decode()
    )
    assert choose(client, course, "role_dispute", "primary").status_code == 302
    response = choose(client, course, "grief", "primary")
    assert response.status_code == 400
    assert "There is already a primary problem area (Role dispute)" in response.content.decode()
    response = choose(client, course, "role_dispute", "secondary")
    assert response.status_code == 400 and "must be a different one" in response.content.decode()
    assert choose(client, course, "grief", "secondary").status_code == 302
    assert choose(client, course, "role_transition", "secondary").status_code == 400
    live = ProblemArea.objects.filter(course=course, is_removed=False)
    assert sorted(live.values_list("rank", "kind")) == [("primary", "role_dispute"), ("secondary", "grief")]
    page = client.get(f"/courses/{course.pk}/problem-areas/").content.decode()
    assert "Choose a problem area" not in page  # both ranks are taken


def test_the_action_refuses_a_third_area_too(personas, course):
    area_actions.choose_problem_area(actor=personas.therapist, course=course, kind="grief", rank="primary")
    area_actions.choose_problem_area(
        actor=personas.therapist, course=course, kind="interpersonal_deficits", rank="secondary"
    )
    for rank in ("primary", "secondary"):
        with pytest.raises(ValidationError):
            area_actions.choose_problem_area(
                actor=personas.therapist, course=course, kind="role_dispute", rank=rank
            )
    with pytest.raises(ValidationError):
        area_actions.choose_problem_area(
            actor=personas.therapist, course=course, kind="grief", rank="tertiary"
        )
    assert ProblemArea.objects.count() == 2


def test_removing_an_area_keeps_it_in_the_history_and_frees_its_rank(personas, client_for, course):
    client = client_for("therapist")
    choose(client, course, "grief", "primary")
    area = ProblemArea.objects.get()
    response = client.post(area_url(area), {"intent": "remove"})
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.pk}/problem-areas/"
    area.refresh_from_db()
    assert area.is_removed
    page = client.get(response["Location"]).content.decode()
    assert "Removed earlier" in page and "Primary: Grief" in page
    assert client.get(area_url(area)).status_code == 404  # no longer worked on
    assert choose(client, course, "role_dispute", "primary").status_code == 302
    assert ProblemArea.objects.count() == 2
    assert AuditEvent.objects.filter(action="problem_area.remove").count() == 1


def test_the_dispute_stage_is_tracked_over_time_with_its_history(personas, client_for, course):
    client = client_for("therapist")
    sam = InventoryPerson.objects.create(course=course, name="Sam", relation="partner")
    choose(client, course, "role_dispute", "primary")
    area = ProblemArea.objects.get()
    client.post(area_url(area), {"intent": "update", "person": str(sam.pk), "goals": "g", "strategies": "s"})
    area.refresh_from_db()
    assert area.person == sam
    assert (
        client.post(
            area_url(area), {"intent": "stage", "stage": "renegotiation", "note": "Still talking"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            area_url(area), {"intent": "stage", "stage": "impasse", "note": "Silence at home"}
        ).status_code
        == 302
    )
    stages = list(DisputeStageChange.objects.filter(problem_area=area).values_list("stage", flat=True))
    assert stages == ["renegotiation", "impasse"]
    page = client.get(area_url(area)).content.decode()
    assert "Now: Impasse (talking has stopped)" in page
    assert page.index("Still talking") < page.index("Silence at home")
    listing = client.get(f"/courses/{course.pk}/problem-areas/").content.decode()
    assert "stage: Impasse" in listing and "Sam" in listing
    assert client.post(area_url(area), {"intent": "stage", "stage": "war"}).status_code == 400
    assert DisputeStageChange.objects.count() == 2
    assert [
        e.detail for e in AuditEvent.objects.filter(action="problem_area.dispute_stage").order_by("id")
    ] == [
        {"stage": "renegotiation"},
        {"stage": "impasse"},
    ]


def test_only_a_role_dispute_has_a_stage(personas, client_for, course):
    client = client_for("therapist")
    choose(client, course, "grief", "primary")
    area = ProblemArea.objects.get()
    response = client.post(area_url(area), {"intent": "stage", "stage": "impasse"})
    assert response.status_code == 400 and "Only a role dispute has a stage." in response.content.decode()
    assert not DisputeStageChange.objects.exists()


def test_grief_records_who_died_when_and_the_relationship(personas, client_for, course):
    client = client_for("therapist")
    dad = InventoryPerson.objects.create(course=course, name="Dad", relation="parent", is_deceased=True)
    choose(client, course, "grief", "primary")
    area = ProblemArea.objects.get()
    page = client.get(area_url(area)).content.decode()
    assert "Who died" in page and "Dad (parent, died)" in page and "Old role" not in page
    data = {
        "intent": "update",
        "person": str(dad.pk),
        "date_of_death": "2024-02-01",
        "goals": "g",
        "strategies": "s",
    }
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(area_url(area), {**data, "date_of_death": tomorrow})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    area.refresh_from_db()
    assert area.person is None and area.date_of_death is None
    client.post(area_url(area), {**data, "relationship_notes": "Close but stormy"})
    area.refresh_from_db()
    assert (area.person, area.date_of_death, area.relationship_notes) == (
        dad,
        datetime.date(2024, 2, 1),
        "Close but stormy",
    )


def test_a_person_from_another_course_is_refused(personas, client_for, course, other_course):
    stranger = InventoryPerson.objects.create(course=other_course, name="Stranger", relation="friend")
    client = client_for("therapist")
    choose(client, course, "role_dispute", "primary")
    area = ProblemArea.objects.get(course=course)
    page = client.get(area_url(area)).content.decode()
    assert "Stranger" not in page
    response = client.post(
        area_url(area), {"intent": "update", "person": str(stranger.pk), "goals": "g", "strategies": "s"}
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    area.refresh_from_db()
    assert area.person is None and area.goals != "g"
    with pytest.raises(ValidationError, match="inventory"):
        area_actions.update_problem_area(
            actor=personas.therapist, area=area, person=stranger, goals="g", strategies="s"
        )
    area.refresh_from_db()
    assert area.person is None
    assert not AuditEvent.objects.filter(action="problem_area.update").exists()


def test_a_removed_inventory_person_is_refused(personas, course):
    gone = InventoryPerson.objects.create(course=course, name="Gone", relation="friend", is_removed=True)
    area = area_actions.choose_problem_area(
        actor=personas.therapist, course=course, kind="grief", rank="primary"
    )
    with pytest.raises(ValidationError):
        area_actions.update_problem_area(
            actor=personas.therapist, area=area, person=gone, goals="", strategies=""
        )


def test_an_ended_course_keeps_its_areas_as_they_are(personas, client_for, course):
    area = area_actions.choose_problem_area(
        actor=personas.therapist, course=course, kind="grief", rank="primary"
    )
    TreatmentCourse.objects.filter(pk=course.pk).update(status=CourseStatus.COMPLETED)
    client = client_for("therapist")
    response = client.post(area_url(area), {"intent": "remove"})
    assert response.status_code == 400 and "This course has ended" in response.content.decode()
    response = choose(client, course, "role_dispute", "secondary")
    assert response.status_code == 400 and "This course has ended" in response.content.decode()
    area.refresh_from_db()
    assert not area.is_removed and ProblemArea.objects.count() == 1


def test_the_supervisor_reads_problem_areas_but_cannot_change_them(personas, client_for, course):
    area = area_actions.choose_problem_area(
        actor=personas.therapist, course=course, kind="grief", rank="primary"
    )
    client = client_for("supervisor")
    listing = client.get(f"/courses/{course.pk}/problem-areas/").content.decode()
    assert "Primary: Grief" in listing and "Choose a problem area" not in listing
    page = client.get(area_url(area)).content.decode()
    assert "Help the mourning process." in page and "<textarea" not in page and 'value="remove"' not in page
    assert choose(client, course, "role_dispute", "secondary").status_code == 403
    for data in ({"intent": "remove"}, {"intent": "update", "goals": "x", "strategies": "y"}):
        assert client.post(area_url(area), data).status_code == 403
    area.refresh_from_db()
    assert not area.is_removed and area.goals == TEMPLATES["grief"].goals
    assert ProblemArea.objects.count() == 1
    with pytest.raises(PermissionDenied):
        area_actions.remove_problem_area(actor=personas.supervisor, area=area)
    assert AuditEvent.objects.filter(action="problem_area.read", actor=personas.supervisor).exists()


def test_an_unknown_intent_is_refused_without_a_change(personas, client_for, course):
    area = area_actions.choose_problem_area(
        actor=personas.therapist, course=course, kind="grief", rank="primary"
    )
    response = client_for("therapist").post(area_url(area), {"intent": "explode"})
    assert response.status_code == 400
    area.refresh_from_db()
    assert not area.is_removed


@pytest.mark.parametrize("persona", ["other_therapist", "other_patient", "patient", "admin"])
def test_problem_areas_are_hidden_from_everyone_outside_the_care_team(personas, client_for, course, persona):
    area = area_actions.choose_problem_area(
        actor=personas.therapist, course=course, kind="grief", rank="primary"
    )
    client = client_for(persona)
    expected = 404 if persona == "other_therapist" else 403
    for url in (f"/courses/{course.pk}/problem-areas/", area_url(area)):
        response = client.get(url)
        assert response.status_code == expected
        assert "mourning" not in response.content.decode()
    assert client.post(area_url(area), {"intent": "remove"}).status_code == expected
    assert choose(client, course, "role_dispute", "secondary").status_code == expected
    area.refresh_from_db()
    assert not area.is_removed and ProblemArea.objects.count() == 1


def test_an_area_of_another_course_is_not_found_through_this_course(
    personas, client_for, course, other_course
):
    foreign = area_actions.choose_problem_area(
        actor=personas.other_therapist, course=other_course, kind="grief", rank="primary"
    )
    response = client_for("therapist").get(f"/courses/{course.pk}/problem-areas/{foreign.pk}/")
    assert response.status_code == 404
