"""Signing in: email and password, TOTP for staff, lockout, no user enumeration."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.audit.models import AuditEvent
from ipt.conftest import PASSWORD, current_code, device_code

LOGIN = "/login/"


def post_login(client: Client, email: str, password: str):
    return client.post(LOGIN, {"username": email, "password": password})


def test_a_patient_signs_in_with_email_and_password_and_lands_home(personas):
    client = Client()
    response = post_login(client, "Patient@Example.test", PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Thea Rapist" in home.content.decode()
    assert AuditEvent.objects.filter(action="login.success", actor=personas.patient).exists()


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(personas):
    wrong = post_login(Client(), "patient@example.test", "not-the-password-at-all")
    unknown = post_login(Client(), "nobody@example.test", "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 400
    assert "Email or password is incorrect" in wrong.content.decode()
    assert _without_csrf(wrong.content) == _without_csrf(unknown.content).replace(
        b"nobody@example.test", b"patient@example.test"
    )
    assert AuditEvent.objects.filter(action="login.failure").count() == 2


def _without_csrf(content: bytes) -> bytes:
    return re.sub(
        rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", re.sub(rb'"X-CSRFToken": "[^"]+"', b"", content)
    )


def test_staff_must_pass_totp_before_reaching_anything(personas):
    client = Client()
    response = post_login(client, "therapist@example.test", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").url == reverse("mfa_verify")
    assert client.get(reverse("patient_detail", args=[personas.care_team.pk])).url == reverse("mfa_verify")
    assert client.get("/api/v1/patients").status_code == 401

    verified = client.post(reverse("mfa_verify"), {"otp_token": current_code(personas.therapist)})
    assert verified.status_code == 302 and verified.url == "/"
    assert "Paula Tient" in client.get("/").content.decode()
    assert AuditEvent.objects.filter(action="mfa.success", actor=personas.therapist).exists()


def test_a_wrong_totp_code_is_refused_and_audited(personas):
    client = Client()
    post_login(client, "supervisor@example.test", PASSWORD)
    wrong = f"{(int(current_code(personas.supervisor)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_verify"), {"otp_token": wrong})
    assert response.status_code == 400
    assert "did not match" in response.content.decode()
    assert client.get("/").url == reverse("mfa_verify")
    assert AuditEvent.objects.filter(action="mfa.failure", actor=personas.supervisor).exists()


def test_a_reused_totp_code_is_refused(personas):
    code = current_code(personas.admin)
    first = Client()
    post_login(first, "admin@example.test", PASSWORD)
    assert first.post(reverse("mfa_verify"), {"otp_token": code}).status_code == 302

    second = Client()
    post_login(second, "admin@example.test", PASSWORD)
    response = second.post(reverse("mfa_verify"), {"otp_token": code})
    assert response.status_code == 400
    assert second.get("/").url == reverse("mfa_verify")


def test_new_staff_enrol_totp_at_first_login_with_a_qr_code(personas):
    TOTPDevice.objects.filter(user=personas.other_therapist).delete()
    client = Client()
    post_login(client, "other.therapist@example.test", PASSWORD)
    assert client.get("/").url == reverse("mfa_enrol")
    page = client.get(reverse("mfa_enrol"))
    assert page.status_code == 200
    assert b"<svg" in page.content and b"<path" in page.content

    device = TOTPDevice.objects.get(user=personas.other_therapist, confirmed=False)
    assert client.post(reverse("mfa_enrol"), {"otp_token": "000000"}).status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    time.sleep(1.1)  # django-otp makes the next try wait after a failure
    code = device_code(device)
    response = client.post(reverse("mfa_enrol"), {"otp_token": code})
    assert response.status_code == 302 and response.url == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.enrol", actor=personas.other_therapist).exists()


def test_ten_failures_lock_the_account_even_with_the_right_password(personas):
    for _ in range(10):
        post_login(Client(), "patient@example.test", "a-wrong-password-123")
    locked = post_login(Client(), "patient@example.test", PASSWORD)
    assert locked.status_code == 429
    assert "Email or password is incorrect, or the account is locked" in locked.content.decode()
    assert post_login(Client(), "other.patient@example.test", PASSWORD).status_code == 302


def test_lockout_does_not_reveal_whether_an_account_exists(personas):
    for email in ("patient@example.test", "ghost@example.test"):
        for _ in range(10):
            post_login(Client(), email, "a-wrong-password-123")
    real = post_login(Client(), "patient@example.test", "a-wrong-password-123")
    ghost = post_login(Client(), "ghost@example.test", "a-wrong-password-123")
    assert real.status_code == ghost.status_code == 429


@pytest.mark.parametrize("email", ["", "not-an-email", "x" * 300 + "@example.test"])
def test_malformed_sign_in_input_gets_a_clear_error(db, email):
    response = post_login(Client(), email, "")
    assert response.status_code == 400
    assert b'class="error"' in response.content


def test_sign_out_ends_the_session(personas, client_for):
    client = client_for("patient")
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=personas.patient).exists()


def test_passwords_are_hashed_with_argon2id(personas):
    personas.patient.set_password("a-brand-new-password-77")
    assert personas.patient.password.startswith("argon2$argon2id$")
