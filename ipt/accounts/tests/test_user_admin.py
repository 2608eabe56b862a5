"""Admins manage accounts (roles, activation) and every change is audited."""

from django.test import Client

from ipt.accounts.models import Role
from ipt.audit.models import AuditEvent
from ipt.conftest import PASSWORD


def test_a_role_change_is_refused_while_the_therapist_has_patients(personas, client_for):
    response = client_for("admin").post(
        f"/users/{personas.therapist.pk}/", {"role-role": "admin"}, follow=True
    )
    assert "Move this therapist" in response.content.decode()
    personas.therapist.refresh_from_db()
    assert personas.therapist.role == Role.THERAPIST
    assert not AuditEvent.objects.filter(action="user.role_change").exists()


def test_a_supervisor_becomes_a_therapist_and_the_change_is_audited(personas, client_for):
    client_for("admin").post(f"/users/{personas.supervisor.pk}/", {"role-role": "therapist"})
    personas.supervisor.refresh_from_db()
    assert personas.supervisor.role == Role.THERAPIST
    event = AuditEvent.objects.get(action="user.role_change")
    assert event.actor == personas.admin and event.detail == {"from": "supervisor", "to": "therapist"}


def test_patients_cannot_be_given_a_staff_role(personas, client_for):
    response = client_for("admin").post(f"/users/{personas.patient.pk}/", {"role-role": "admin"}, follow=True)
    assert response.status_code == 400
    personas.patient.refresh_from_db()
    assert personas.patient.role == Role.PATIENT


def test_a_deactivated_account_cannot_sign_in(personas, client_for):
    client_for("admin").post(f"/users/{personas.patient.pk}/", {"active-active": "0"})
    personas.patient.refresh_from_db()
    assert not personas.patient.is_active
    assert AuditEvent.objects.filter(action="user.deactivate").exists()
    response = Client().post("/login/", {"username": "patient@example.test", "password": PASSWORD})
    assert response.status_code == 400


def test_an_unknown_role_is_a_clear_error_that_changes_nothing(personas, client_for):
    response = client_for("admin").post(f"/users/{personas.supervisor.pk}/", {"role-role": "wizard"})
    assert response.status_code == 400
    assert "not one of the available choices" in response.content.decode()
    personas.supervisor.refresh_from_db()
    assert personas.supervisor.role == Role.SUPERVISOR


def test_only_admins_manage_accounts(personas, client_for):
    for persona in ("therapist", "supervisor", "patient"):
        client = client_for(persona)
        assert client.get("/users/").status_code == 403
        assert (
            client.post(f"/users/{personas.other_therapist.pk}/", {"active-active": "0"}).status_code == 403
        )
    personas.other_therapist.refresh_from_db()
    assert personas.other_therapist.is_active
