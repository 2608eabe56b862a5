"""A therapist invites a patient by email; an admin invites staff; the link works once."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ipt.accounts.models import CareTeam, Invitation, Role, User
from ipt.audit.models import AuditEvent

# Emails go out on commit, so these tests run in real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

INVITE = "/patients/invite/"
GOOD_PASSWORD = "a-long-and-unusual-passphrase-9"


def invite_link(mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    return re.search(r"http://[^\s]+/invitation/[^\s/]+/", mailbox.body(message)).group(0)


def test_a_therapist_invites_a_patient_who_joins_by_the_emailed_link(personas, client_for, mailbox):
    therapist = client_for("therapist")
    response = therapist.post(
        INVITE,
        {
            "first_name": "Nina",
            "last_name": "New",
            "email": "Nina@Example.test",
            "referral_reason": "low mood",
        },
    )
    assert response.status_code == 302
    nina = User.objects.get(email="nina@example.test")
    assert nina.role == Role.PATIENT and not nina.is_active and not nina.has_usable_password()
    assert CareTeam.objects.get(patient=nina).therapist == personas.therapist
    assert "Nina New" in therapist.get("/").content.decode()
    assert AuditEvent.objects.filter(action="patient.invite", patient=nina).exists()

    link = invite_link(mailbox, "nina@example.test")
    path = link.split("127.0.0.1:8000", 1)[1]
    patient = Client()
    page = patient.get(path)
    assert page.status_code == 200 and "Thea Rapist" in page.content.decode()

    joined = patient.post(
        path, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "accept_terms": "on"}
    )
    assert joined.status_code == 302
    home = patient.get("/")
    assert "Thea Rapist" in home.content.decode()
    nina.refresh_from_db()
    assert nina.is_active and nina.terms_accepted_at is not None and nina.check_password(GOOD_PASSWORD)
    assert Client().get(path).status_code == 404  # used once


def _invite_path(personas, client_for, mailbox, email="nina@example.test") -> str:
    client_for("therapist").post(INVITE, {"first_name": "Nina", "last_name": "New", "email": email})
    return invite_link(mailbox, email).split("127.0.0.1:8000", 1)[1]


def test_weak_passwords_and_unaccepted_terms_are_refused_and_change_nothing(personas, client_for, mailbox):
    path = _invite_path(personas, client_for, mailbox)
    cases = [
        ({"password1": "short-1", "password2": "short-1", "accept_terms": "on"}, "at least 12 characters"),
        ({"password1": "password1234", "password2": "password1234", "accept_terms": "on"}, "too common"),
        (
            {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "x", "accept_terms": "on"},
            "do not match",
        ),
        ({"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}, "accept the terms"),
    ]
    for data, message in cases:
        response = Client().post(path, data)
        assert response.status_code == 400
        assert message in response.content.decode()
    nina = User.objects.get(email="nina@example.test")
    assert not nina.is_active and not nina.has_usable_password()


def test_an_expired_invitation_does_not_work(personas, client_for, mailbox):
    path = _invite_path(personas, client_for, mailbox)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().post(
        path, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "accept_terms": "on"}
    )
    assert response.status_code == 404
    assert not User.objects.get(email="nina@example.test").is_active


def test_inviting_an_existing_email_is_refused_with_a_reason(personas, client_for, mailbox):
    response = client_for("therapist").post(
        INVITE, {"first_name": "P", "last_name": "T", "email": "patient@example.test"}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert mailbox.messages == []


def test_only_therapists_invite_patients(personas, client_for):
    for persona in ("patient", "supervisor", "admin"):
        response = client_for(persona).post(
            INVITE, {"first_name": "X", "last_name": "Y", "email": "x@example.test"}
        )
        assert response.status_code == 403
    assert not User.objects.filter(email="x@example.test").exists()


def test_an_admin_invites_a_therapist_who_must_then_enrol_totp(personas, client_for, mailbox):
    admin = client_for("admin")
    response = admin.post(
        "/users/invite/",
        {
            "first_name": "Tom",
            "last_name": "Trainee",
            "email": "tom@example.test",
            "role": "therapist",
            "supervisor": str(personas.supervisor.pk),
        },
    )
    assert response.status_code == 302
    tom = User.objects.get(email="tom@example.test")
    assert tom.role == Role.THERAPIST and tom.supervisor == personas.supervisor
    path = invite_link(mailbox, "tom@example.test").split("127.0.0.1:8000", 1)[1]
    client = Client()
    client.post(path, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "accept_terms": "on"})
    assert client.get("/").url == "/mfa/enrol/"


def test_an_admin_cannot_invite_a_patient_role(personas, client_for):
    response = client_for("admin").post(
        "/users/invite/", {"first_name": "P", "last_name": "Q", "email": "pq@example.test", "role": "patient"}
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="pq@example.test").exists()
