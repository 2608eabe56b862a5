"""Starting a course, its overview, details and its phases, which move only by guarded transitions."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.care.actions.course import TRANSITIONS, change_status, start_course
from ipt.care.models import (
    CourseStatus,
    ProblemArea,
    StatusChange,
    TreatmentContract,
    TreatmentCourse,
)

ILLEGAL_MOVES = [
    (from_status, to_status)
    for from_status, to_status in itertools.product(CourseStatus.values, repeat=2)
    if to_status not in TRANSITIONS[from_status]
]


def new_course(personas, status=CourseStatus.INTAKE) -> TreatmentCourse:
    course = start_course(
        actor=personas.therapist,
        care_team=personas.care_team,
        format="ipt",
        planned_sessions=14,
        target_conditions=["depression"],
    )
    if status != CourseStatus.INTAKE:
        TreatmentCourse.objects.filter(pk=course.pk).update(status=status)
        course.refresh_from_db()
    return course


def sign_contract_directly(course, personas) -> TreatmentContract:
    now = timezone.now()
    return TreatmentContract.objects.create(
        course=course,
        version=1,
        sessions_planned=14,
        schedule="Weekly",
        goals="Feel better",
        missed_session_policy="Tell us",
        drafted_by=personas.therapist,
        therapist_signed_name="Thea Rapist",
        therapist_signed_at=now,
        patient_signed_name="Paula Tient",
        patient_signed_at=now,
    )


def post_move(client, course, to_status, reason=""):
    return client.post(f"/courses/{course.pk}/status/", {"to_status": to_status, "reason": reason})


# Starting a course -------------------------------------------------------------------------------


def test_the_therapist_starts_a_course_with_its_details_and_lands_on_the_overview(personas, client_for):
    client = client_for("therapist")
    url = f"/patients/{personas.care_team.pk}/courses/start/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "format": "ipt",
            "planned_sessions": "16",
            "target_conditions": ["depression", "grief"],
            "icd10_codes": "f32.1, F43.2",
            "medication": "Sertraline 50 mg",
            "prescriber_contact": "Dr Who, 0123",
        },
    )
    course = TreatmentCourse.objects.get(care_team=personas.care_team)
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.pk}/"
    assert course.status == CourseStatus.INTAKE and course.planned_sessions == 16
    assert course.target_conditions == ["depression", "grief"]
    assert course.icd10_codes == "F32.1, F43.2"
    assert AuditEvent.objects.filter(action="course.start", patient=personas.patient).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Session 0 of 16" in page and "Depression, Grief" in page and "Sertraline 50 mg" in page


@pytest.mark.parametrize(
    ("course_format", "planned", "accepted"),
    [("ipt", 12, True), ("ipt", 16, True), ("ipt", 11, False), ("ipt", 17, False), ("ipc", 3, True),
     ("ipc", 6, True), ("ipc", 7, False), ("ipc", 2, False), ("maintenance", 12, True)],
)  # fmt: skip
def test_the_planned_sessions_must_fit_the_format(personas, client_for, course_format, planned, accepted):
    response = client_for("therapist").post(
        f"/patients/{personas.care_team.pk}/courses/start/",
        {"format": course_format, "planned_sessions": str(planned), "target_conditions": ["depression"]},
    )
    assert (response.status_code == 302) is accepted
    assert TreatmentCourse.objects.exists() is accepted
    if not accepted:
        assert response.status_code == 400 and "sessions." in response.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        {"icd10_codes": "not a code"},
        {"icd10_codes": ", ".join(["F32.1"] * 40)},
        {"target_conditions": ["nonsense"]},
        {"target_conditions": []},
        {"format": "forever"},
        {"planned_sessions": "lots"},
        {"planned_sessions": "99999999999999999999"},
    ],
)
def test_bad_course_details_are_refused_with_a_reason_and_nothing_is_created(personas, client_for, bad):
    data = {"format": "ipt", "planned_sessions": "14", "target_conditions": ["depression"], **bad}
    response = client_for("therapist").post(f"/patients/{personas.care_team.pk}/courses/start/", data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not TreatmentCourse.objects.exists()


def test_a_second_active_course_cannot_be_started(personas, client_for):
    course = new_course(personas)
    client = client_for("therapist")
    url = f"/patients/{personas.care_team.pk}/courses/start/"
    assert client.get(url)["Location"] == f"/courses/{course.pk}/"
    response = client.post(url, {"format": "ipc", "planned_sessions": "4", "target_conditions": ["anxiety"]})
    assert response.status_code == 400 and "already has an active course" in response.content.decode()
    assert TreatmentCourse.objects.count() == 1


def test_only_the_patients_own_therapist_can_start_a_course(personas, client_for):
    url = f"/patients/{personas.care_team.pk}/courses/start/"
    data = {"format": "ipt", "planned_sessions": "14", "target_conditions": ["depression"]}
    assert client_for("other_therapist").post(url, data).status_code == 404
    assert client_for("supervisor").post(url, data).status_code == 403
    assert client_for("patient").post(url, data).status_code == 403
    assert client_for("admin").post(url, data).status_code == 403
    assert not TreatmentCourse.objects.exists()


# Guarded transitions -----------------------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL_MOVES)
def test_every_illegal_move_is_refused_with_a_reason_and_changes_nothing(
    personas, client_for, from_status, to_status
):
    course = new_course(personas, from_status)
    before = TreatmentCourse.objects.values().get(pk=course.pk)
    response = post_move(client_for("therapist"), course, to_status, reason="A reason")
    assert response.status_code == 400
    page = response.content.decode()
    assert "That move was refused; nothing changed." in page
    assert "A course cannot move from" in page
    assert TreatmentCourse.objects.values().get(pk=course.pk) == before
    assert not StatusChange.objects.exists()
    assert not AuditEvent.objects.filter(action="course.status_change").exists()
    with pytest.raises(ValidationError):
        change_status(actor=personas.therapist, course=course, to_status=to_status, reason="A reason")


def test_intake_to_initial_is_allowed_and_kept_in_the_history(personas, client_for):
    course = new_course(personas)
    client = client_for("therapist")
    response = post_move(client, course, "initial")
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.INITIAL
    change = StatusChange.objects.get(course=course)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "intake",
        "initial",
        personas.therapist,
    )
    event = AuditEvent.objects.get(action="course.status_change")
    assert event.detail == {"from": "intake", "to": "initial"}
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "Phase history" in page and "Thea Rapist" in page


def test_initial_to_middle_waits_for_a_primary_problem_area_and_a_contract_signed_by_both(
    personas, client_for
):
    course = new_course(personas, CourseStatus.INITIAL)
    client = client_for("therapist")
    page = post_move(client, course, "middle").content.decode()
    assert "Choose the primary problem area first." in page
    assert "signed by the patient and the therapist first" in page
    ProblemArea.objects.create(course=course, kind="role_dispute", rank="primary")
    page = post_move(client, course, "middle").content.decode()
    assert "Choose the primary problem area first." not in page
    assert "signed by the patient and the therapist first" in page
    contract = sign_contract_directly(course, personas)
    TreatmentContract.objects.filter(pk=contract.pk).update(patient_signed_at=None)
    assert post_move(client, course, "middle").status_code == 400
    course.refresh_from_db()
    assert course.status == CourseStatus.INITIAL and not StatusChange.objects.exists()
    TreatmentContract.objects.filter(pk=contract.pk).update(patient_signed_at=timezone.now())
    assert post_move(client, course, "middle").status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.MIDDLE


def test_the_overview_shows_why_a_move_is_not_yet_possible(personas, client_for):
    course = new_course(personas, CourseStatus.INITIAL)
    page = client_for("therapist").get(f"/courses/{course.pk}/").content.decode()
    assert "Move to the middle phase" in page
    assert "Not yet: Choose the primary problem area first." in page
    assert "Discontinue the course" in page
    assert "Move to the termination phase" not in page


def test_discontinuing_needs_a_reason(personas, client_for):
    course = new_course(personas, CourseStatus.MIDDLE)
    client = client_for("therapist")
    response = post_move(client, course, "discontinued", reason="   ")
    assert response.status_code == 400
    assert "Say briefly why the course is discontinued." in response.content.decode()
    course.refresh_from_db()
    assert course.status == CourseStatus.MIDDLE and course.ended_at is None
    assert post_move(client, course, "discontinued", reason="Moved abroad").status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.DISCONTINUED and course.ended_at is not None
    assert StatusChange.objects.get(course=course).reason == "Moved abroad"
    assert "Moved abroad" not in str(AuditEvent.objects.get(action="course.status_change").detail)


def test_an_ended_course_offers_no_moves(personas, client_for):
    course = new_course(personas, CourseStatus.COMPLETED)
    page = client_for("therapist").get(f"/courses/{course.pk}/").content.decode()
    assert "its phase cannot change any more" in page
    assert 'name="to_status"' not in page


@pytest.mark.parametrize("junk", ["", "nonsense", "intake'<x>"])
def test_a_junk_move_is_refused_without_a_server_error(personas, client_for, junk):
    course = new_course(personas)
    response = post_move(client_for("therapist"), course, junk)
    assert response.status_code == 400
    course.refresh_from_db()
    assert course.status == CourseStatus.INTAKE


def test_the_supervisor_reads_the_overview_but_cannot_move_the_course(personas, client_for):
    course = new_course(personas)
    client = client_for("supervisor")
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "Checklist" in page and 'name="to_status"' not in page and "Edit details" not in page
    assert post_move(client, course, "initial").status_code == 403
    course.refresh_from_db()
    assert course.status == CourseStatus.INTAKE
    reads = AuditEvent.objects.filter(action="course.read", patient=personas.patient)
    assert reads.filter(actor=personas.supervisor).exists()


# Details -----------------------------------------------------------------------------------------


def test_the_therapist_edits_the_details_within_the_formats_range(personas, client_for):
    course = new_course(personas)
    client = client_for("therapist")
    url = f"/courses/{course.pk}/details/"
    page = client.get(url).content.decode()
    assert 'value="14"' in page and "cannot change" in page
    data = {"planned_sessions": "5", "target_conditions": ["anxiety"], "medication": "None"}
    assert client.post(url, data).status_code == 400
    data["planned_sessions"] = "12"
    assert client.post(url, data).status_code == 302
    course.refresh_from_db()
    assert course.planned_sessions == 12 and course.target_conditions == ["anxiety"]
    assert AuditEvent.objects.filter(action="course.update").count() == 1


def test_the_supervisor_cannot_edit_the_details(personas, client_for):
    course = new_course(personas)
    client = client_for("supervisor")
    url = f"/courses/{course.pk}/details/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"planned_sessions": "12", "target_conditions": ["anxiety"]}).status_code == 403
    course.refresh_from_db()
    assert course.planned_sessions == 14
