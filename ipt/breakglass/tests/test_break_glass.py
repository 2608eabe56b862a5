"""S7: an emergency "break-glass" read is allowed, logged and flagged for review.

Personas: other_therapist is not on the patient's care team (therapist is, and so is the
therapist's supervisor), so other_therapist is the one who breaks glass for the patient.
"""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from ipt.audit.actions import verify_chain
from ipt.audit.models import AuditEvent
from ipt.breakglass import actions
from ipt.breakglass.models import BreakGlassGrant
from ipt.care.models import CourseStatus, TreatmentCourse
from ipt.measures.models import QuestionnaireResponse
from ipt.safety.actions import save_safety_plan
from ipt.safety.crisis import ensure_default_crisis_lines
from ipt.safety.models import AlertStatus, RiskAlert

REASON = "Patient rang the front desk in distress; their therapist is on leave and unreachable."
WARNING_SIGNS = "Warning-sign text 7731: not sleeping, giving things away"
FOLLOW_UP = "Acknowledged-alert follow-up 5520"
REVIEW_COMMENT = "Justified-review-comment 8842: the on-call protocol was followed."
OPEN_URL = "/emergency-access/"
REVIEWS_URL = "/emergency-access/reviews/"


@pytest.fixture
def course(personas) -> TreatmentCourse:
    ensure_default_crisis_lines()
    course = TreatmentCourse.objects.create(
        care_team=personas.care_team,
        status=CourseStatus.MIDDLE,
        planned_sessions=16,
        target_conditions=["depression"],
        medication="Medication-text 6614 (not part of the emergency summary)",
    )
    save_safety_plan(actor=personas.patient, course=course, country="GB", warning_signs=WARNING_SIGNS)
    RiskAlert.objects.create(course=course, reason="suicidal_ideation", source="phq9 test")
    RiskAlert.objects.create(
        course=course,
        reason="high_risk",
        source="cssrs test",
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_by=personas.therapist,
        acknowledged_at=timezone.now(),
        follow_up=FOLLOW_UP,
    )
    QuestionnaireResponse.objects.create(  # an older score: not the latest, so not shown
        course=course,
        instrument="phq9",
        status="completed",
        answers=[0] * 9,
        total=0,
        severity="minimal",
        submitted_at=timezone.now() - timedelta(days=20),
    )
    QuestionnaireResponse.objects.create(
        course=course,
        instrument="phq9",
        status="completed",
        answers=[2] * 8 + [1],
        total=17,
        severity="moderately severe",
        flags=["suicidal_ideation"],
        submitted_at=timezone.now() - timedelta(days=2),
    )
    return course


def _open(client: Client, email: str, reason: str = REASON, confirm: bool = True):
    data = {"email": email, "reason": reason}
    if confirm:
        data |= {"step": "confirm", "understood": "on"}
    return client.post(OPEN_URL, data)


def _grant_of(user) -> BreakGlassGrant:
    return BreakGlassGrant.objects.get(opened_by=user)


def _audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# Opening a grant ---------------------------------------------------------------------------------


def test_a_clinician_off_the_care_team_confirms_and_gets_a_time_limited_grant(client_for, personas, course):
    client = client_for("other_therapist")
    assert "Emergency access" in client.get("/").content.decode()  # linked from the top bar
    first = _open(client, personas.patient.email, confirm=False)
    body = first.content.decode()
    assert first.status_code == 200 and "This access is logged and reviewed" in body
    assert WARNING_SIGNS not in body and personas.patient.display_name not in body  # nothing yet
    assert not BreakGlassGrant.objects.exists()

    unticked = client.post(OPEN_URL, {"email": personas.patient.email, "reason": REASON, "step": "confirm"})
    assert unticked.status_code == 400 and "Tick the box to confirm" in unticked.content.decode()
    assert not BreakGlassGrant.objects.exists()

    before = timezone.now()
    response = _open(client, "  Patient@Example.test ")
    grant = _grant_of(personas.other_therapist)
    assert response.status_code == 302 and response["Location"] == f"/emergency-access/{grant.pk}/"
    assert grant.care_team == personas.care_team and grant.reason == REASON
    assert grant.is_flagged_for_review and grant.reviewed_at is None
    minutes = (grant.expires_at - grant.opened_at).total_seconds() / 60
    assert minutes == 60 and grant.opened_at >= before


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give the reason for emergency access."),
        ("   urgent    ", "at least 20 characters (you wrote 6)"),
    ],
)
def test_a_grant_is_refused_without_a_real_reason(client_for, personas, course, reason, message):
    response = _open(client_for("other_therapist"), personas.patient.email, reason=reason)
    assert response.status_code == 400 and message in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


def test_a_grant_is_refused_for_an_unknown_or_non_patient_email_and_the_attempt_is_audited(
    client_for, personas, course
):
    client = client_for("other_therapist")
    for email in ("nobody@example.test", personas.therapist.email, "patient@example"):
        response = _open(client, email)
        assert response.status_code == 400, email
        body = response.content.decode()
        assert "No patient has this email address" in body or "whole email address" in body
        assert WARNING_SIGNS not in body
    assert not BreakGlassGrant.objects.exists()
    refusals = _audit("break_glass.refused")
    assert [event.detail for event in refusals] == [{"why": "unknown_patient"}] * 2
    assert all(event.actor == personas.other_therapist and event.patient is None for event in refusals)


@pytest.mark.parametrize("persona", ["therapist", "supervisor"])
def test_a_grant_is_refused_for_a_patient_on_ones_own_care_team(client_for, personas, course, persona):
    response = _open(client_for(persona), personas.patient.email)
    assert response.status_code == 400
    assert "already on your caseload" in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    [refusal] = _audit("break_glass.refused")
    assert refusal.detail == {"why": "own_caseload"} and refusal.patient == personas.patient


@pytest.mark.parametrize("persona", ["patient", "other_patient", "admin"])
def test_patients_and_admins_cannot_open_emergency_access(client_for, personas, course, persona):
    client = client_for(persona)
    assert client.get(OPEN_URL).status_code == 403
    assert _open(client, personas.patient.email).status_code == 403
    assert not BreakGlassGrant.objects.exists()
    with pytest.raises(PermissionDenied):
        actions.open_grant(actor=personas.get(persona), care_team=personas.care_team, reason=REASON)


def test_staff_without_a_totp_check_and_anonymous_users_are_sent_to_sign_in(personas, course):
    anonymous = _open(Client(), personas.patient.email)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    password_only = Client()
    password_only.force_login(personas.other_therapist, backend="ipt.accounts.backends.UserBackend")
    response = _open(password_only, personas.patient.email)
    assert response.status_code == 302 and response["Location"].startswith("/mfa/")
    assert not BreakGlassGrant.objects.exists()


def test_the_action_itself_refuses_the_own_caseload_and_a_short_reason(personas, course):
    with pytest.raises(ValidationError):
        actions.open_grant(actor=personas.therapist, care_team=personas.care_team, reason=REASON)
    with pytest.raises(ValidationError):
        actions.open_grant(actor=personas.other_therapist, care_team=personas.care_team, reason="too short")
    assert not BreakGlassGrant.objects.exists()


# The emergency summary ---------------------------------------------------------------------------


def test_the_summary_shows_what_an_emergency_needs_and_nothing_more(client_for, personas, course):
    client = client_for("other_therapist")
    _open(client, personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    response = client.get(f"/emergency-access/{grant.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert personas.patient.display_name in body and personas.patient.email in body
    assert personas.therapist.display_name in body and personas.therapist.email in body
    assert WARNING_SIGNS in body  # the safety plan
    assert "Possible suicidal thoughts" in body and "Open risk alerts (1)" in body  # open alerts only
    assert "<td>17</td>" in body and "moderately severe" in body  # the latest PHQ-9 only
    assert "minimal" not in body and "<td>0</td>" not in body
    assert "Samaritans" in body and "116 123" in body and "999" in body  # the GB lines of the plan
    assert "Emergency access, read-only" in body
    for not_shown in (FOLLOW_UP, "Medication-text 6614", "SECRET-REFERRAL"):
        assert not_shown not in body
    assert "<form" not in body.split("<main", 1)[1].replace('<form method="post" action="/logout/"', "")


def test_the_summary_does_not_open_the_care_team_pages(client_for, personas, course):
    client = client_for("other_therapist")
    _open(client, personas.patient.email)
    for path in (f"/patients/{personas.care_team.pk}/", f"/courses/{course.pk}/safety-plan/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert WARNING_SIGNS not in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["therapist", "supervisor", "patient", "other_patient", "admin", "anonymous"]
)
def test_a_grant_serves_no_one_but_the_person_who_opened_it(client_for, personas, course, persona):
    _open(client_for("other_therapist"), personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    response = client_for(persona).get(f"/emergency-access/{grant.pk}/")
    assert response.status_code in (302, 403, 404)
    assert WARNING_SIGNS not in response.content.decode()
    assert not _audit("break_glass.read")


def test_an_expired_grant_serves_nothing(client_for, personas, course, settings):
    settings.IPT_BREAK_GLASS_MINUTES = 5
    client = client_for("other_therapist")
    _open(client, personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    assert grant.expires_at - grant.opened_at == timedelta(minutes=5)
    assert client.get(f"/emergency-access/{grant.pk}/").status_code == 200
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        opened_at=grant.opened_at - timedelta(minutes=5), expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(f"/emergency-access/{grant.pk}/")
    body = response.content.decode()
    assert response.status_code == 410 and "Emergency access ended" in body
    for secret in (WARNING_SIGNS, personas.patient.display_name, personas.patient.email, "Samaritans"):
        assert secret not in body
    assert len(_audit("break_glass.read")) == 1
    [late] = _audit("break_glass.read_after_expiry")
    assert late.object_id == str(grant.pk) and late.patient == personas.patient
    assert "Your open emergency access" not in client.get(OPEN_URL).content.decode()
    assert _audit("break_glass.page.read")[-1].detail == {"open_grants": 0}  # even the page is kept


# Audit -------------------------------------------------------------------------------------------


def test_opening_each_read_and_the_review_are_audited_without_clinical_text(client_for, personas, course):
    client = client_for("other_therapist")
    _open(client, personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    for _ in range(3):
        client.get(f"/emergency-access/{grant.pk}/")
    client_for("supervisor").post(f"{REVIEWS_URL}{grant.pk}/", {"comment": REVIEW_COMMENT})

    [opened] = _audit("break_glass.open")
    assert (opened.actor, opened.patient, opened.object_type, opened.object_id) == (
        personas.other_therapist,
        personas.patient,
        "breakglassgrant",
        str(grant.pk),
    )
    assert opened.detail == {
        "care_team": str(personas.care_team.pk),
        "minutes": 60,
        "flagged_for_review": True,
    }
    assert opened.ip == "127.0.0.1"
    reads = _audit("break_glass.read")
    assert len(reads) == 3
    assert {(e.actor, e.patient, e.object_id) for e in reads} == {
        (personas.other_therapist, personas.patient, str(grant.pk))
    }
    [reviewed] = _audit("break_glass.review")
    assert (reviewed.actor, reviewed.patient, reviewed.object_id) == (
        personas.supervisor,
        personas.patient,
        str(grant.pk),
    )
    every_row = json.dumps([event.payload() for event in AuditEvent.objects.all()])
    for clinical in (
        REASON,
        "front desk",
        REVIEW_COMMENT,
        "on-call protocol",
        WARNING_SIGNS,
        "giving things away",
        "moderately severe",
    ):
        assert clinical not in every_row
    assert verify_chain() is None


def test_the_reason_and_review_comment_are_encrypted_at_rest(client_for, personas, course):
    from django.db import connection

    _open(client_for("other_therapist"), personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    client_for("supervisor").post(f"{REVIEWS_URL}{grant.pk}/", {"comment": REVIEW_COMMENT})
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason, review_comment FROM breakglass_breakglassgrant")
        [(reason, comment)] = cursor.fetchall()
    assert reason.startswith("gAAAAA") and comment.startswith("gAAAAA")
    assert "front desk" not in reason + comment and "on-call" not in reason + comment


# Review ------------------------------------------------------------------------------------------


def test_supervisors_see_unreviewed_grants_with_the_reason_and_mark_them_reviewed(
    client_for, personas, course
):
    _open(client_for("other_therapist"), personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    client_for("other_therapist").get(f"/emergency-access/{grant.pk}/")
    supervisor = client_for("supervisor")
    assert "1 use of emergency access awaits your review" in supervisor.get("/").content.decode()
    page = supervisor.get(REVIEWS_URL).content.decode()
    assert "Awaiting review (1)" in page and REASON in page
    assert personas.other_therapist.display_name in page and personas.patient.display_name in page
    assert "summary read 1 time." in page
    assert WARNING_SIGNS not in page

    empty = supervisor.post(f"{REVIEWS_URL}{grant.pk}/", {"comment": "  "})
    assert empty.status_code == 400 and "Write what you found" in empty.content.decode()
    assert BreakGlassGrant.objects.get(pk=grant.pk).reviewed_at is None

    done = supervisor.post(f"{REVIEWS_URL}{grant.pk}/", {"comment": REVIEW_COMMENT})
    assert done.status_code == 302 and done["Location"] == REVIEWS_URL
    grant.refresh_from_db()
    assert grant.reviewed_by == personas.supervisor and grant.review_comment == REVIEW_COMMENT
    assert not grant.is_flagged_for_review
    page = supervisor.get(REVIEWS_URL).content.decode()
    assert "Awaiting review (0)" in page and REVIEW_COMMENT in page
    again = supervisor.post(f"{REVIEWS_URL}{grant.pk}/", {"comment": "Second opinion, longer than needed."})
    assert again.status_code == 400 and "already been reviewed" in again.content.decode()
    assert len(_audit("break_glass.review")) == 1
    assert _audit("break_glass.review_list.read")


def test_admins_see_who_when_and_for_whom_but_not_the_reason_and_cannot_review(client_for, personas, course):
    _open(client_for("other_therapist"), personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    admin = client_for("admin")
    assert "Emergency access log" in admin.get("/users/").content.decode()
    page = admin.get(REVIEWS_URL).content.decode()
    assert personas.other_therapist.display_name in page and personas.patient.display_name in page
    for clinical in (REASON, "front desk", WARNING_SIGNS):
        assert clinical not in page
    assert "<textarea" not in page
    assert admin.post(f"{REVIEWS_URL}{grant.pk}/", {"comment": REVIEW_COMMENT}).status_code == 403
    client_for("supervisor").post(f"{REVIEWS_URL}{grant.pk}/", {"comment": REVIEW_COMMENT})
    page = admin.get(REVIEWS_URL).content.decode()
    assert "reviewed by Sue Pervisor" in page and REVIEW_COMMENT not in page


@pytest.mark.parametrize("persona", ["therapist", "other_therapist", "patient"])
def test_the_review_list_and_marking_are_for_supervisors_and_admins_only(
    client_for, personas, course, persona
):
    _open(client_for("other_therapist"), personas.patient.email)
    grant = _grant_of(personas.other_therapist)
    client = client_for(persona)
    assert client.get(REVIEWS_URL).status_code == 403
    assert client.post(f"{REVIEWS_URL}{grant.pk}/", {"comment": REVIEW_COMMENT}).status_code == 403
    assert BreakGlassGrant.objects.get(pk=grant.pk).reviewed_at is None


def test_a_supervisor_does_not_review_their_own_emergency_access(client_for, personas, course):
    other_course = TreatmentCourse.objects.create(
        care_team=personas.other_care_team, status=CourseStatus.MIDDLE, planned_sessions=12
    )
    assert other_course.pk
    supervisor = client_for("supervisor")
    assert _open(supervisor, personas.other_patient.email).status_code == 302
    grant = _grant_of(personas.supervisor)
    assert "Awaiting review (0)" in supervisor.get(REVIEWS_URL).content.decode()
    assert supervisor.post(f"{REVIEWS_URL}{grant.pk}/", {"comment": REVIEW_COMMENT}).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.review_grant(actor=personas.supervisor, grant=grant, comment=REVIEW_COMMENT)
    assert BreakGlassGrant.objects.get(pk=grant.pk).reviewed_at is None


# The patient's therapist is told -----------------------------------------------------------------


def test_the_therapist_gets_a_content_free_email_and_a_notice_on_their_home(
    client_for, personas, course, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _open(client_for("other_therapist"), personas.patient.email)
    [message] = mailbox.to(personas.therapist.email)
    assert len(mailbox.messages) == 1
    body = mailbox.body(message)
    assert message["Subject"] == "IPT Online: emergency access to a patient's record"
    assert "emergency access" in body and "sign in" in body
    for secret in (
        personas.patient.display_name,
        personas.patient.email,
        personas.other_therapist.display_name,
        "front desk",
        "distress",
    ):
        assert secret.lower() not in (body + message["Subject"]).lower()

    home = client_for("therapist").get("/").content.decode()
    assert "Emergency access to your patients" in home
    assert personas.other_therapist.display_name in home and REASON in home
    assert "awaiting a supervisor&#x27;s review" in home or "awaiting a supervisor's review" in home
    assert "Emergency access to your patients" not in client_for("other_therapist").get("/").content.decode()
