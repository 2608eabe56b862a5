"""The interpersonal formulation: drafts, shared versions, the patient's plain-language view and
acknowledgement, and who may do what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.actions.formulation import acknowledge_formulation, share_formulation, write_formulation
from ipt.care.models import CourseStatus, Formulation, TreatmentCourse

CLINICAL = "CLINICAL-MARKER-7731 role dispute with partner, renegotiation stage"
PLAIN = "PLAIN-MARKER-4402 your low mood began when arguments with your partner grew"
DRAFT_CLINICAL = "DRAFT-CLINICAL-MARKER-5510 revised after session 3"
DRAFT_PLAIN = "DRAFT-PLAIN-MARKER-9925 not ready for the patient"


@pytest.fixture
def course(personas):
    return TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)


@pytest.fixture
def other_course(personas):
    return TreatmentCourse.objects.create(care_team=personas.other_care_team, status=CourseStatus.INITIAL)


def url(course):
    return reverse("course_formulation", args=[course.pk])


def save(client, course, clinical=CLINICAL, plain=PLAIN):
    return client.post(url(course), {"intent": "save", "clinical_text": clinical, "plain_text": plain})


def share(client, course, version):
    return client.post(url(course), {"intent": "share", "version": version})


def shared_version_1(personas, course):
    write_formulation(actor=personas.therapist, course=course, clinical_text=CLINICAL, plain_text=PLAIN)
    return share_formulation(actor=personas.therapist, course=course, version=1)


def test_saving_a_draft_twice_updates_the_same_unshared_version(personas, client_for, course):
    therapist = client_for("therapist")
    assert save(therapist, course, plain="first wording").status_code == 302
    assert save(therapist, course).status_code == 302
    (only,) = Formulation.objects.filter(course=course)
    assert (only.version, only.plain_text, only.shared_at) == (1, PLAIN, None)
    assert AuditEvent.objects.filter(action="formulation.write", object_id=str(only.pk)).count() == 2


def test_sharing_records_the_time_and_an_audit_event(personas, client_for, course):
    therapist = client_for("therapist")
    save(therapist, course)
    response = share(therapist, course, 1)
    assert response.status_code == 302
    formulation = Formulation.objects.get(course=course)
    assert formulation.shared_at is not None
    assert AuditEvent.objects.filter(action="formulation.share", object_id=str(formulation.pk)).exists()
    page = therapist.get(url(course)).content.decode()
    assert "Not yet" in page  # not acknowledged yet


def test_editing_a_shared_formulation_makes_a_new_version_and_keeps_the_old(personas, client_for, course):
    shared_version_1(personas, course)
    therapist = client_for("therapist")
    assert save(therapist, course, DRAFT_CLINICAL, DRAFT_PLAIN).status_code == 302
    old, new = Formulation.objects.filter(course=course).order_by("version")
    assert (old.version, old.clinical_text, old.plain_text) == (1, CLINICAL, PLAIN)
    assert old.shared_at is not None
    assert (new.version, new.clinical_text, new.shared_at) == (2, DRAFT_CLINICAL, None)
    page = therapist.get(url(course)).content.decode()
    assert "Version 1" in page and "Version 2" in page
    assert CLINICAL in page and DRAFT_CLINICAL in page


def test_saving_an_unchanged_shared_formulation_is_refused(personas, client_for, course):
    shared_version_1(personas, course)
    response = save(client_for("therapist"), course)
    assert response.status_code == 400
    assert "Nothing has changed" in response.content.decode()
    assert Formulation.objects.filter(course=course).count() == 1


def test_the_patient_reads_only_the_plain_text_of_the_newest_shared_version(personas, client_for, course):
    shared_version_1(personas, course)
    write_formulation(
        actor=personas.therapist, course=course, clinical_text=DRAFT_CLINICAL, plain_text=DRAFT_PLAIN
    )
    response = client_for("patient").get(reverse("my_formulation"))
    body = response.content.decode()
    assert response.status_code == 200
    assert PLAIN in body
    for secret in (CLINICAL, "CLINICAL-MARKER", DRAFT_CLINICAL, DRAFT_PLAIN, "DRAFT-"):
        assert secret not in body
    read = AuditEvent.objects.get(action="formulation.read", actor=personas.patient)
    assert read.object_id == str(Formulation.objects.get(course=course, version=1).pk)


def test_the_patient_sees_no_draft_before_the_first_share(personas, client_for, course):
    write_formulation(actor=personas.therapist, course=course, clinical_text=CLINICAL, plain_text=PLAIN)
    patient = client_for("patient")
    body = patient.get(reverse("my_formulation")).content.decode()
    assert "PLAIN-MARKER" not in body and "CLINICAL-MARKER" not in body
    assert "will share it with you here" in body
    # Nor can they acknowledge the draft.
    response = patient.post(reverse("my_formulation"), {"version": 1})
    assert response.status_code == 400
    assert Formulation.objects.get(course=course).acknowledged_at is None


def test_the_patient_acknowledges_and_the_therapist_sees_when(personas, client_for, course):
    formulation = shared_version_1(personas, course)
    patient = client_for("patient")
    response = patient.post(reverse("my_formulation"), {"version": 1})
    assert response.status_code == 302
    formulation.refresh_from_db()
    assert formulation.acknowledged_at is not None
    event = AuditEvent.objects.get(action="formulation.acknowledge")
    assert event.actor == personas.patient and event.object_id == str(formulation.pk)
    assert "You confirmed on" in patient.get(reverse("my_formulation")).content.decode()
    staff_page = client_for("therapist").get(url(course)).content.decode()
    assert "Acknowledged by the patient" in staff_page and "Yes, on" in staff_page
    # A second acknowledgement changes nothing.
    first_time = formulation.acknowledged_at
    assert patient.post(reverse("my_formulation"), {"version": 1}).status_code == 400
    formulation.refresh_from_db()
    assert formulation.acknowledged_at == first_time


def test_an_older_version_cannot_be_acknowledged(personas, client_for, course):
    shared_version_1(personas, course)
    write_formulation(
        actor=personas.therapist, course=course, clinical_text=DRAFT_CLINICAL, plain_text=DRAFT_PLAIN
    )
    share_formulation(actor=personas.therapist, course=course, version=2)
    response = client_for("patient").post(reverse("my_formulation"), {"version": 1})
    assert response.status_code == 400
    assert "newer version" in response.content.decode()
    assert not Formulation.objects.filter(course=course, acknowledged_at__isnull=False).exists()
    with pytest.raises(ValidationError):
        acknowledge_formulation(actor=personas.patient, course=course, version=1)


def test_sharing_a_version_the_therapist_did_not_see_is_refused(personas, client_for, course):
    write_formulation(actor=personas.therapist, course=course, clinical_text=CLINICAL, plain_text=PLAIN)
    response = share(client_for("therapist"), course, 7)
    assert response.status_code == 400
    assert "read it again" in response.content.decode()
    assert Formulation.objects.get(course=course).shared_at is None


@pytest.mark.parametrize(
    "data",
    [
        {"intent": "save", "clinical_text": "", "plain_text": PLAIN},
        {"intent": "save", "clinical_text": CLINICAL, "plain_text": "   "},
        {"intent": "save", "clinical_text": "x" * 20_001, "plain_text": PLAIN},
        {"intent": "share", "version": "not-a-number"},
        {"intent": "share"},
        {"intent": "delete-everything"},
        {},
    ],
)
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(personas, client_for, course, data):
    response = client_for("therapist").post(url(course), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert any(sign in body for sign in ('class="form-errors"', 'class="error"', 'class="message error"'))
    assert not Formulation.objects.filter(course=course).exists()


def test_the_supervisor_reads_but_cannot_write_or_share(personas, client_for, course):
    write_formulation(actor=personas.therapist, course=course, clinical_text=CLINICAL, plain_text=PLAIN)
    supervisor = client_for("supervisor")
    page = supervisor.get(url(course))
    assert page.status_code == 200 and CLINICAL in page.content.decode()
    assert 'name="intent"' not in page.content.decode()
    assert save(supervisor, course, DRAFT_CLINICAL, DRAFT_PLAIN).status_code == 403
    assert share(supervisor, course, 1).status_code == 403
    formulation = Formulation.objects.get(course=course)
    assert (formulation.clinical_text, formulation.shared_at) == (CLINICAL, None)
    with pytest.raises(PermissionDenied):
        share_formulation(actor=personas.supervisor, course=course, version=1)


def test_another_therapist_gets_404_and_changes_nothing(personas, client_for, course):
    write_formulation(actor=personas.therapist, course=course, clinical_text=CLINICAL, plain_text=PLAIN)
    other = client_for("other_therapist")
    for response in (other.get(url(course)), save(other, course, "x", "y"), share(other, course, 1)):
        assert response.status_code == 404
        assert "MARKER" not in response.content.decode()
    formulation = Formulation.objects.get(course=course)
    assert (formulation.clinical_text, formulation.shared_at) == (CLINICAL, None)


def test_another_patient_sees_only_their_own_course(personas, client_for, course, other_course):
    shared_version_1(personas, course)
    other = client_for("other_patient")
    response = other.get(reverse("my_formulation"))
    assert response.status_code == 200 and "MARKER" not in response.content.decode()
    assert other.post(reverse("my_formulation"), {"version": 1}).status_code == 400
    assert Formulation.objects.get(course=course).acknowledged_at is None
    assert other.get(url(course)).status_code == 403  # a staff page


def test_a_patient_without_a_course_gets_404(client_for):
    assert client_for("other_patient").get(reverse("my_formulation")).status_code == 404


def test_the_admin_is_refused_and_sees_no_clinical_text(personas, client_for, course):
    shared_version_1(personas, course)
    admin = client_for("admin")
    for response in (admin.get(url(course)), save(admin, course), admin.get(reverse("my_formulation"))):
        assert response.status_code == 403
        assert "MARKER" not in response.content.decode()


def test_the_patient_cannot_write_on_the_staff_page(personas, client_for, course):
    response = save(client_for("patient"), course)
    assert response.status_code == 403
    assert not Formulation.objects.filter(course=course).exists()


def test_reading_the_page_is_audited_without_clinical_text(personas, client_for, course):
    shared_version_1(personas, course)
    client_for("supervisor").get(url(course))
    event = AuditEvent.objects.get(action="formulation.read", actor=personas.supervisor)
    assert event.patient == personas.patient
    for row in AuditEvent.objects.all():
        assert "MARKER" not in str(row.detail)
