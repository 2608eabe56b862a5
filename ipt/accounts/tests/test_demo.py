"""`seed_demo` gives a newcomer every role to sign in as, and can run again safely."""

from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY_HEX
from ipt.accounts.models import CareTeam, User

DEMO_EMAILS = {
    "therapist@demo.test": "therapist",
    "therapist2@demo.test": "therapist",
    "supervisor@demo.test": "supervisor",
    "admin@demo.test": "admin",
    "patient@demo.test": "patient",
    "patient2@demo.test": "patient",
}


def test_seed_demo_creates_every_demo_account_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert dict(User.objects.values_list("email", "role")) == DEMO_EMAILS
    assert CareTeam.objects.get(patient__email="patient@demo.test").therapist.email == "therapist@demo.test"
    assert CareTeam.objects.get(patient__email="patient2@demo.test").therapist.email == "therapist2@demo.test"
    assert User.objects.get(email="therapist@demo.test").supervisor.email == "supervisor@demo.test"
    assert TOTPDevice.objects.filter(confirmed=True).count() == 4
    assert DEMO_PASSWORD in capsys.readouterr().out


def test_a_demo_therapist_signs_in_with_the_published_password_and_code(db):
    call_command("seed_demo")
    client = Client()
    client.post("/login/", {"username": "therapist@demo.test", "password": DEMO_PASSWORD})
    code = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX)).token()
    assert client.post("/mfa/verify/", {"otp_token": f"{code:06d}"}).status_code == 302
    assert "Pat Rivera" in client.get("/").content.decode()
