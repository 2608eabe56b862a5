from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.safety import actions
from ipt.safety.models import AlertReason, AlertStatus, RiskAlert


def _raise(personas, course, **kwargs) -> RiskAlert:
    return actions.raise_risk_alert(
        actor=personas.patient,
        course=course,
        reason=AlertReason.SUICIDAL_IDEATION,
        source="phq9 test",
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_the_alert_row_and_the_content_free_email_both_exist_after_commit(personas, course, mailbox):
    with transaction.atomic():
        alert = _raise(personas, course)
        assert mailbox.messages == []  # not before the commit
    assert RiskAlert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).exists()
    [message] = mailbox.to(personas.therapist.email)
    body = mailbox.body(message)
    assert message["Subject"] == "IPT Online: a patient needs your attention"
    assert "A patient needs your attention" in body and "/alerts/" in body
    for secret in (personas.patient.display_name, personas.patient.email, "suicid", "phq"):
        assert secret.lower() not in (body + message["Subject"]).lower()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_neither_the_alert_nor_the_email(personas, course, mailbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        _raise(personas, course)
        raise RuntimeError("the questionnaire submission failed")
    assert not RiskAlert.objects.exists()
    assert mailbox.messages == []


@pytest.mark.django_db
def test_the_therapist_acknowledges_an_alert_with_a_follow_up(personas, course, client_for):
    alert = _raise(personas, course)
    client = client_for("therapist")
    response = client.post(f"/alerts/{alert.pk}/", {"follow_up": "  "})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    response = client.post(f"/alerts/{alert.pk}/", {"follow_up": "Phoned her at 14:10; safe, seen tomorrow."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == personas.therapist and alert.follow_up.startswith("Phoned her")
    event = AuditEvent.objects.get(action="risk_alert.acknowledge")
    assert "Phoned" not in str(event.detail)
    assert "Phoned her at 14:10" in client.get(f"/alerts/{alert.pk}/").content.decode()


@pytest.mark.django_db
def test_the_acknowledge_action_refuses_an_empty_follow_up(personas, course):
    from django.core.exceptions import ValidationError

    alert = _raise(personas, course)
    with pytest.raises(ValidationError):
        actions.acknowledge_alert(actor=personas.therapist, alert=alert, follow_up="")


@pytest.mark.django_db
def test_the_supervisor_reads_an_alert_but_cannot_acknowledge_it(personas, course, client_for):
    alert = _raise(personas, course)
    client = client_for("supervisor")
    assert client.get(f"/alerts/{alert.pk}/").status_code == 200
    assert client.post(f"/alerts/{alert.pk}/", {"follow_up": "I did it"}).status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


@pytest.mark.django_db
def test_the_alerts_list_shows_only_the_caseloads_alerts(personas, course, other_course, client_for):
    _raise(personas, course)
    own = client_for("therapist").get("/alerts/")
    assert own.status_code == 200 and "Paula Tient" in own.content.decode()
    assert "Paula Tient" in client_for("supervisor").get("/alerts/").content.decode()
    other = client_for("other_therapist").get("/alerts/").content.decode()
    assert "Paula Tient" not in other and "No open alerts" in other
    assert client_for("admin").get("/alerts/").status_code == 403
    assert client_for("patient").get("/alerts/").status_code == 403
    alert = RiskAlert.objects.get()
    assert client_for("other_therapist").get(f"/alerts/{alert.pk}/").status_code == 404
    assert client_for("other_therapist").post(f"/alerts/{alert.pk}/", {"follow_up": "x"}).status_code == 404


@pytest.mark.django_db
def test_the_nav_shows_the_open_alert_count_to_the_therapist(personas, course, client_for):
    _raise(personas, course)
    _raise(personas, course)
    body = client_for("therapist").get("/alerts/").content.decode()
    assert 'class="badge alert-badge">2<' in body
    assert "alert-badge" not in client_for("other_therapist").get("/alerts/").content.decode()


@pytest.mark.django_db
def test_an_unacknowledged_alert_escalates_to_the_supervisor_after_the_configured_time(
    personas, course, mailbox, settings, django_capture_on_commit_callbacks
):
    settings.IPT_ALERT_ESCALATE_AFTER_MINUTES = 30
    alert = _raise(personas, course)
    start = alert.created_at
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.escalate_overdue_alerts(start + timedelta(minutes=29)) == []
    alert.refresh_from_db()
    assert alert.escalated_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.escalate_overdue_alerts(start + timedelta(minutes=30)) == [alert]
    alert.refresh_from_db()
    assert alert.escalated_to == personas.supervisor and alert.escalated_at == start + timedelta(minutes=30)
    [message] = mailbox.to(personas.supervisor.email)
    body = mailbox.body(message)
    assert "has not been acknowledged" in body
    assert personas.patient.last_name not in body and personas.therapist.last_name not in body
    with django_capture_on_commit_callbacks(execute=True):  # once only
        assert actions.escalate_overdue_alerts(start + timedelta(hours=5)) == []
    assert len(mailbox.to(personas.supervisor.email)) == 1
    assert AuditEvent.objects.filter(action="risk_alert.escalate").count() == 1


@pytest.mark.django_db
def test_an_acknowledged_alert_does_not_escalate(personas, course):
    alert = _raise(personas, course)
    actions.acknowledge_alert(actor=personas.therapist, alert=alert, follow_up="Called; safe.")
    assert actions.escalate_overdue_alerts(timezone.now() + timedelta(days=1)) == []


@pytest.mark.django_db
def test_without_a_supervisor_the_alert_stays_overdue_and_no_admin_is_told(
    personas, other_course, client_for, mailbox, django_capture_on_commit_callbacks
):
    alert = actions.raise_risk_alert(
        actor=personas.other_patient, course=other_course, reason=AlertReason.SUICIDAL_IDEATION, source="x"
    )
    RiskAlert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        body = client_for("other_therapist").get("/alerts/").content.decode()
    alert.refresh_from_db()
    assert alert.escalated_at is None
    assert "Overdue" in body and "no supervisor to escalate to" in body
    assert mailbox.to(personas.admin.email) == []


@pytest.mark.django_db
def test_loading_the_alerts_page_escalates_overdue_alerts(
    personas, course, client_for, mailbox, django_capture_on_commit_callbacks
):
    alert = _raise(personas, course)
    RiskAlert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        body = client_for("therapist").get("/alerts/").content.decode()
    alert.refresh_from_db()
    assert alert.escalated_to == personas.supervisor
    assert "sent to Sue Pervisor" in body
    assert len(mailbox.to(personas.supervisor.email)) == 1


@pytest.mark.django_db
def test_the_escalate_alerts_command_escalates(personas, course, capsys):
    alert = _raise(personas, course)
    RiskAlert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=90))
    call_command("escalate_alerts")
    alert.refresh_from_db()
    assert alert.escalated_to == personas.supervisor
    assert "Escalated 1 alert(s)." in capsys.readouterr().out
