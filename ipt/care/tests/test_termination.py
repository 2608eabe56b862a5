"""The termination review: written by the therapist, hidden from the patient until shared."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.actions.termination import save_termination_review, share_termination_review
from ipt.care.checklist import termination_phase
from ipt.care.models import CourseStatus, MaintenanceDecision, TerminationReview, TreatmentCourse

GAINS = "GAINS-MARKER-6120 I can tell my partner what I need without a row"
SIGNS = "SIGNS-MARKER-2291 staying in bed at weekends"
PLAN = "PLAN-MARKER-8004 call my sister, book a maintenance session"
REVIEW = {
    "gains": GAINS,
    "warning_signs": SIGNS,
    "plan": PLAN,
    "maintenance_decision": MaintenanceDecision.MAINTENANCE,
}


@pytest.fixture
def course(personas):
    return TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.TERMINATION)


@pytest.fixture
def other_course(personas):
    return TreatmentCourse.objects.create(care_team=personas.other_care_team, status=CourseStatus.TERMINATION)


def url(course):
    return reverse("course_termination", args=[course.pk])


def save(client, course, **changes):
    return client.post(url(course), {"intent": "save", **REVIEW, **changes})


def test_the_therapist_saves_the_review_and_the_checklist_ticks(personas, client_for, course):
    therapist = client_for("therapist")
    assert save(therapist, course).status_code == 302
    review = TerminationReview.objects.get(course=course)
    assert (review.gains, review.warning_signs, review.plan) == (GAINS, SIGNS, PLAN)
    assert review.shared_at is None
    assert all(item.done for item in termination_phase(course))
    page = therapist.get(url(course)).content.decode()
    assert GAINS in page and "the patient cannot see it yet" in page
    assert AuditEvent.objects.filter(action="termination_review.save").count() == 1


def test_the_patient_sees_the_review_only_once_it_is_shared(personas, client_for, course):
    save_termination_review(actor=personas.therapist, course=course, **REVIEW)
    patient = client_for("patient")
    before = patient.get(reverse("my_termination"))
    assert before.status_code == 200
    assert "MARKER" not in before.content.decode()
    assert "When your therapist shares that plan" in before.content.decode()
    assert not AuditEvent.objects.filter(action="termination_review.read", actor=personas.patient).exists()

    assert client_for("therapist").post(url(course), {"intent": "share"}).status_code == 302
    after = patient.get(reverse("my_termination")).content.decode()
    for text in (GAINS, SIGNS, PLAN, "Monthly sessions to help you stay well."):
        assert text in after
    assert "Maintenance IPT" not in after  # plain words, not the clinical label
    assert AuditEvent.objects.filter(action="termination_review.share").count() == 1
    assert AuditEvent.objects.filter(action="termination_review.read", actor=personas.patient).count() == 1


def test_changes_after_sharing_reach_the_patient(personas, client_for, course):
    save_termination_review(actor=personas.therapist, course=course, **REVIEW)
    share_termination_review(actor=personas.therapist, course=course)
    save(client_for("therapist"), course, gains="GAINS-MARKER-updated")
    assert "GAINS-MARKER-updated" in client_for("patient").get(reverse("my_termination")).content.decode()
    assert TerminationReview.objects.get(course=course).shared_at is not None


def test_sharing_before_writing_or_twice_is_refused(personas, client_for, course):
    therapist = client_for("therapist")
    response = therapist.post(url(course), {"intent": "share"})
    assert response.status_code == 400 and "Write the review before sharing it." in response.content.decode()
    assert not TerminationReview.objects.exists()
    save_termination_review(actor=personas.therapist, course=course, **REVIEW)
    share_termination_review(actor=personas.therapist, course=course)
    response = therapist.post(url(course), {"intent": "share"})
    assert response.status_code == 400 and "already shared" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"intent": "save", **REVIEW, "maintenance_decision": "forever"},
        {"intent": "save", **REVIEW, "gains": "x" * 20_001},
        {"intent": "burn"},
        {},
    ],
)
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(client_for, course, data):
    response = client_for("therapist").post(url(course), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert any(sign in body for sign in ('class="error"', 'class="form-errors"', 'class="message error"'))
    assert not TerminationReview.objects.exists()


def test_the_supervisor_reads_but_cannot_save_or_share(personas, client_for, course):
    save_termination_review(actor=personas.therapist, course=course, **REVIEW)
    supervisor = client_for("supervisor")
    page = supervisor.get(url(course))
    assert page.status_code == 200 and GAINS in page.content.decode()
    assert 'name="intent"' not in page.content.decode()
    assert save(supervisor, course, gains="changed").status_code == 403
    assert supervisor.post(url(course), {"intent": "share"}).status_code == 403
    review = TerminationReview.objects.get(course=course)
    assert (review.gains, review.shared_at) == (GAINS, None)
    with pytest.raises(PermissionDenied):
        share_termination_review(actor=personas.supervisor, course=course)


def test_another_therapist_gets_404_and_changes_nothing(personas, client_for, course):
    save_termination_review(actor=personas.therapist, course=course, **REVIEW)
    other = client_for("other_therapist")
    for response in (
        other.get(url(course)),
        save(other, course),
        other.post(url(course), {"intent": "share"}),
    ):
        assert response.status_code == 404 and "MARKER" not in response.content.decode()
    review = TerminationReview.objects.get(course=course)
    assert (review.gains, review.shared_at) == (GAINS, None)


def test_another_patient_never_sees_this_review(personas, client_for, course, other_course):
    save_termination_review(actor=personas.therapist, course=course, **REVIEW)
    share_termination_review(actor=personas.therapist, course=course)
    other = client_for("other_patient")
    response = other.get(reverse("my_termination"))
    assert response.status_code == 200 and "MARKER" not in response.content.decode()
    assert other.get(url(course)).status_code == 403
    assert other.post(reverse("my_termination")).status_code == 405


def test_the_admin_and_the_patient_cannot_use_the_staff_page(personas, client_for, course):
    save_termination_review(actor=personas.therapist, course=course, **REVIEW)
    admin, patient = client_for("admin"), client_for("patient")
    for response in (admin.get(url(course)), save(admin, course), admin.get(reverse("my_termination"))):
        assert response.status_code == 403 and "MARKER" not in response.content.decode()
    assert patient.get(url(course)).status_code == 403
    assert save(patient, course, gains="patient wrote this").status_code == 403
    assert TerminationReview.objects.get(course=course).gains == GAINS


def test_a_patient_without_a_course_gets_404(client_for):
    assert client_for("other_patient").get(reverse("my_termination")).status_code == 404
