"""The treatment contract: drafting, versions, signatures by typed name, and who may do what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.actions.contract import draft_contract, sign_contract
from ipt.care.checklist import initial_phase
from ipt.care.models import CourseStatus, ProblemArea, TreatmentContract, TreatmentCourse

GOALS = "GOALS-MARKER-3318 talk with my partner about sharing the housework"
SCHEDULE = "SCHEDULE-MARKER weekly, Tuesdays at 10:00, 50 minutes by video"
POLICY = "POLICY-MARKER tell your therapist a day before"
TERMS = {"sessions_planned": 14, "schedule": SCHEDULE, "goals": GOALS, "missed_session_policy": POLICY}


@pytest.fixture
def course(personas):
    return TreatmentCourse.objects.create(
        care_team=personas.care_team, status=CourseStatus.INITIAL, planned_sessions=14
    )


@pytest.fixture
def other_course(personas):
    return TreatmentCourse.objects.create(care_team=personas.other_care_team, status=CourseStatus.INITIAL)


def url(course):
    return reverse("course_contract", args=[course.pk])


def draft(client, course, **changes):
    return client.post(url(course), {"intent": "draft", **TERMS, **changes})


def sign_as_therapist(client, course, version, name="Thea Rapist"):
    return client.post(url(course), {"intent": "sign", "version": version, "full_name": name})


def sign_as_patient(client, version, name="Paula Tient"):
    return client.post(reverse("my_contract"), {"version": version, "full_name": name})


def agreed_version_1(personas, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    sign_contract(actor=personas.therapist, course=course, version=1, full_name="Thea Rapist")
    return sign_contract(actor=personas.patient, course=course, version=1, full_name="Paula Tient")


def test_a_first_draft_is_prefilled_from_the_course_and_its_primary_problem_area(
    personas, client_for, course
):
    ProblemArea.objects.create(course=course, kind="role_dispute", rank="primary", goals=GOALS)
    body = client_for("therapist").get(url(course)).content.decode()
    assert 'name="sessions_planned" value="14"' in body
    assert GOALS in body and "Our main focus: role dispute." in body
    assert "If you cannot make a session" in body  # a sensible missed-session policy


def test_without_a_problem_area_the_goals_get_general_wording(client_for, course):
    body = client_for("therapist").get(url(course)).content.decode()
    assert "To feel better" in body


def test_therapist_and_patient_sign_and_the_contract_is_agreed(personas, client_for, course):
    therapist, patient = client_for("therapist"), client_for("patient")
    assert draft(therapist, course).status_code == 302
    assert sign_as_therapist(therapist, course, 1, name="  thea   RAPIST ").status_code == 302
    patient_page = patient.get(reverse("my_contract")).content.decode()
    assert GOALS in patient_page and "Sign the agreement" in patient_page
    assert sign_as_patient(patient, 1, name="paula tient").status_code == 302
    contract = TreatmentContract.objects.get(course=course)
    assert contract.is_signed_by_both
    assert (contract.therapist_signed_name, contract.patient_signed_name) == ("thea RAPIST", "paula tient")
    assert contract.therapist_signed_at and contract.patient_signed_at
    assert "Agreed" in therapist.get(url(course)).content.decode()
    assert "Agreed" in patient.get(reverse("my_contract")).content.decode()
    assert AuditEvent.objects.filter(action="contract.sign").count() == 2
    assert initial_phase(course)[-1].done  # "Treatment contract agreed"


def test_a_change_makes_a_new_version_that_needs_both_signatures_again(personas, client_for, course):
    agreed_version_1(personas, course)
    therapist = client_for("therapist")
    assert draft(therapist, course, sessions_planned=16, goals="NEW-GOALS-MARKER").status_code == 302
    old, new = TreatmentContract.objects.filter(course=course).order_by("version")
    assert old.superseded_at is not None and old.is_signed_by_both and old.goals == GOALS
    assert (new.version, new.sessions_planned, new.goals, new.superseded_at) == (
        2,
        16,
        "NEW-GOALS-MARKER",
        None,
    )
    assert not new.therapist_signed_at and not new.patient_signed_at
    assert not initial_phase(course)[-1].done
    staff_page = therapist.get(url(course)).content.decode()
    assert "Not agreed yet" in staff_page and "Read version 1" in staff_page and GOALS in staff_page
    patient_page = client_for("patient").get(reverse("my_contract")).content.decode()
    assert "NEW-GOALS-MARKER" in patient_page and "Earlier versions" in patient_page
    assert "Please read it, and sign below" in patient_page


def test_an_unchanged_draft_is_refused(personas, client_for, course):
    agreed_version_1(personas, course)
    response = draft(client_for("therapist"), course)
    assert response.status_code == 400 and "Nothing has changed" in response.content.decode()
    assert TreatmentContract.objects.filter(course=course).count() == 1


def test_a_name_that_does_not_match_the_account_is_refused_and_nothing_changes(personas, client_for, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    response = sign_as_patient(client_for("patient"), 1, name="Paula Smith")
    assert response.status_code == 400
    assert "does not match the name on your account" in response.content.decode()
    response = sign_as_therapist(client_for("therapist"), course, 1, name="Thea")
    assert response.status_code == 400
    contract = TreatmentContract.objects.get(course=course)
    assert (contract.patient_signed_name, contract.patient_signed_at) == ("", None)
    assert (contract.therapist_signed_name, contract.therapist_signed_at) == ("", None)
    assert not AuditEvent.objects.filter(action="contract.sign").exists()


def test_a_replaced_version_cannot_be_signed(personas, client_for, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    draft_contract(actor=personas.therapist, course=course, **{**TERMS, "sessions_planned": 12})
    response = sign_as_patient(client_for("patient"), 1)
    assert response.status_code == 400 and "has replaced" in response.content.decode()
    assert not TreatmentContract.objects.filter(course=course, patient_signed_at__isnull=False).exists()


def test_signing_twice_is_refused(personas, client_for, course):
    agreed_version_1(personas, course)
    response = sign_as_patient(client_for("patient"), 1)
    assert response.status_code == 400 and "already signed" in response.content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"sessions_planned": 40},  # outside the IPT range
        {"sessions_planned": "twelve"},
        {"schedule": ""},
        {"goals": "   "},
        {"missed_session_policy": ""},
        {"intent": "tear-up"},
    ],
)
def test_bad_drafts_are_refused_with_a_reason_and_change_nothing(personas, client_for, course, changes):
    response = draft(client_for("therapist"), course, **changes)
    assert response.status_code == 400
    body = response.content.decode()
    assert any(sign in body for sign in ('class="error"', 'class="form-errors"', 'class="message error"'))
    assert not TreatmentContract.objects.filter(course=course).exists()


def test_signing_with_junk_is_refused(personas, client_for, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    patient = client_for("patient")
    for data in ({}, {"version": "x", "full_name": "Paula Tient"}, {"version": 1, "full_name": ""}):
        assert patient.post(reverse("my_contract"), data).status_code == 400
    assert not TreatmentContract.objects.filter(patient_signed_at__isnull=False).exists()


def test_the_supervisor_reads_but_cannot_draft_or_sign(personas, client_for, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    supervisor = client_for("supervisor")
    page = supervisor.get(url(course))
    assert page.status_code == 200 and GOALS in page.content.decode()
    assert 'name="intent"' not in page.content.decode()
    assert draft(supervisor, course, goals="changed").status_code == 403
    assert sign_as_therapist(supervisor, course, 1, name="Sue Pervisor").status_code == 403
    (contract,) = TreatmentContract.objects.filter(course=course)
    assert contract.goals == GOALS and contract.therapist_signed_at is None
    with pytest.raises(PermissionDenied):
        sign_contract(actor=personas.supervisor, course=course, version=1, full_name="Sue Pervisor")


def test_another_therapist_gets_404_and_changes_nothing(personas, client_for, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    other = client_for("other_therapist")
    responses = [
        other.get(url(course)),
        draft(other, course),
        sign_as_therapist(other, course, 1, "Otto Therapist"),
    ]
    for response in responses:
        assert response.status_code == 404 and "MARKER" not in response.content.decode()
    assert TreatmentContract.objects.filter(course=course).count() == 1
    assert not TreatmentContract.objects.filter(therapist_signed_at__isnull=False).exists()


def test_another_patient_cannot_see_or_sign_this_contract(personas, client_for, course, other_course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    other = client_for("other_patient")
    response = other.get(reverse("my_contract"))
    assert response.status_code == 200 and "MARKER" not in response.content.decode()
    assert sign_as_patient(other, 1, name="Oscar Patient").status_code == 400
    assert other.get(url(course)).status_code == 403
    assert not TreatmentContract.objects.filter(patient_signed_at__isnull=False).exists()
    with pytest.raises(PermissionDenied):
        sign_contract(actor=personas.other_patient, course=course, version=1, full_name="Oscar Patient")


def test_the_admin_is_refused(personas, client_for, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    admin = client_for("admin")
    for response in (admin.get(url(course)), draft(admin, course), admin.get(reverse("my_contract"))):
        assert response.status_code == 403 and "MARKER" not in response.content.decode()


def test_the_action_refuses_a_contract_outside_the_course_format(personas, course):
    with pytest.raises(ValidationError) as refused:
        draft_contract(actor=personas.therapist, course=course, **{**TERMS, "sessions_planned": 3})
    assert "12 to 16" in str(refused.value)


def test_reads_are_audited_without_clinical_text(personas, client_for, course):
    agreed_version_1(personas, course)
    client_for("patient").get(reverse("my_contract"))
    client_for("supervisor").get(url(course))
    assert AuditEvent.objects.filter(action="contract.read").count() == 2
    for row in AuditEvent.objects.all():
        assert "MARKER" not in str(row.detail)


def test_an_account_without_a_name_cannot_sign(personas, course):
    draft_contract(actor=personas.therapist, course=course, **TERMS)
    personas.patient.first_name = personas.patient.last_name = ""
    personas.patient.save()
    with pytest.raises(ValidationError) as refused:
        sign_contract(actor=personas.patient, course=course, version=1, full_name=personas.patient.email)
    assert "no name recorded" in str(refused.value)
    assert TreatmentContract.objects.get(course=course).patient_signed_at is None
