"""S4: supervisors and admins without a verified TOTP device reach nothing; the failed-attempt
budget (lockout after 10 failures, a cool-off that ends, at most 100 failed attempts an hour per
account), on a clock of our own rather than by sleeping."""

import itertools
import math
from datetime import timedelta

import axes.handlers.proxy
import django.utils.timezone
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.models import User
from ipt.conftest import PASSWORD, current_code
from ipt.tests.test_authorization_probe import page_targets, world  # noqa: F401  (world is a fixture)

LOGIN = "/login/"
WRONG = "a-wrong-password-123"
# Paths staff may reach before TOTP: the MFA steps themselves, sign-out, public and token-based ones.
MFA_EXEMPT = ("/mfa/", "/logout/", "/static/", "/healthz", "/crisis/", "/session/", "/calendar/feed/")


def post_login(client: Client, email: str, password: str, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


# TOTP for every staff role ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_a_supervisor_or_admin_without_a_verified_totp_device_reaches_nothing(world, role):  # noqa: F811
    user = world.personas.get(role)
    client = Client()
    assert post_login(client, user.email, PASSWORD).status_code == 302
    verify = reverse("mfa_verify")
    reached = []
    seen_groups = set()
    for target in page_targets(world):
        if target.group in seen_groups:
            continue
        seen_groups.add(target.group)
        response = client.get(target.path)
        body = response.content.decode(errors="replace") if not response.streaming else ""
        leaked = world.markers.found_in(body)
        if leaked:
            reached.append(f"{target.path}: carries {sorted(map(str, leaked))}")
        if target.path.startswith(MFA_EXEMPT):
            continue
        if not (response.status_code == 302 and response["Location"].startswith(verify)):
            reached.append(f"{target.path}: {response.status_code} {response.get('Location', '')}")
    assert reached == [], "\n".join(reached)
    # The JSON API and a home page: refused too.
    assert client.get("/api/v1/patients").status_code == 401
    assert client.get("/").url == verify

    # Then the code: the role's own pages open.
    verified = client.post(verify, {"otp_token": current_code(user)})
    assert verified.status_code == 302
    home = client.get("/", follow=True)
    assert home.status_code == 200
    assert not any(url.startswith("/mfa/") for url, _ in home.redirect_chain)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_a_supervisor_or_admin_with_no_device_must_enrol_first(personas, role):
    user = personas.get(role)
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    assert post_login(client, user.email, PASSWORD).status_code == 302
    enrol = reverse("mfa_enrol")
    for path in ("/", "/users/", f"/patients/{personas.care_team.pk}/", "/alerts/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(enrol), path
    assert client.get("/api/v1/patients").status_code == 401


# The failed-attempt budget ---------------------------------------------------------------------


class Clock:
    """Django's and axes' idea of now (axes stamps each request with it; its records are
    ``auto_now_add``, so Django's clock must move too)."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    assert not settings.AXES_USE_ATTEMPT_EXPIRATION, "then the expiry, not the attempt time, would count"
    clock = Clock()
    monkeypatch.setattr(axes.handlers.proxy, "now", clock)
    monkeypatch.setattr(django.utils.timezone, "now", clock)
    return clock


@pytest.fixture
def password_checks(monkeypatch):
    """How many times a password was actually compared with the stored hash."""
    counted = {"n": 0}
    original = User.check_password

    def check_password(self, raw_password):
        counted["n"] += 1
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", check_password)
    return counted


def cool_off() -> timedelta:
    value = settings.AXES_COOLOFF_TIME
    return value if isinstance(value, timedelta) else timedelta(hours=value)


def test_the_settings_allow_at_most_100_failed_attempts_an_hour_per_account():
    """10 failures lock the account until no attempt for the cool-off; so in any hour an account
    sees at most limit x (number of cool-offs in an hour + 1) password checks."""
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_LOCK_OUT_AT_FAILURE is True
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"], "per account, whatever the address"
    assert settings.AXES_COOLOFF_TIME is not None and cool_off() > timedelta(0)
    assert "axes.backends.AxesStandaloneBackend" in settings.AUTHENTICATION_BACKENDS[:1]
    chains_an_hour = math.floor(timedelta(hours=1) / cool_off()) + 1
    assert settings.AXES_FAILURE_LIMIT * chains_an_hour <= 100


def test_the_cool_off_ends_after_the_configured_time(personas, clock):
    for email in ("patient@example.test", "other.patient@example.test"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            post_login(Client(), email, WRONG)
    started = clock.now

    clock.now = started + cool_off() - timedelta(seconds=1)
    assert post_login(Client(), "patient@example.test", PASSWORD).status_code == 429

    clock.now = started + cool_off() + timedelta(seconds=1)
    assert post_login(Client(), "other.patient@example.test", PASSWORD).status_code == 302

    # A try during the lockout (above) started the cool-off again: it ends a cool-off after that try.
    clock.now = started + 2 * cool_off() - timedelta(seconds=2)
    assert post_login(Client(), "patient@example.test", WRONG).status_code == 429
    clock.now += cool_off() + timedelta(seconds=1)
    signed_in = post_login(Client(), "patient@example.test", PASSWORD)
    assert signed_in.status_code == 302 and signed_in.url == "/"
    assert not AccessAttempt.objects.filter(username="patient@example.test").exists(), "reset on success"


def _attack(clock, password_checks, email: str, wait_after_refusal: timedelta, step: timedelta, vary=False):
    """Wrong passwords for one simulated hour: one every `step`, and after a refusal (429) wait
    `wait_after_refusal`. Returns the password checks made within the hour."""
    end = clock.now + timedelta(hours=1)
    before = password_checks["n"]
    for n in itertools.count():
        if clock.now >= end:
            break
        extra = (
            {"REMOTE_ADDR": f"10.0.{n // 250}.{n % 250 + 1}", "HTTP_USER_AGENT": f"agent {n}"} if vary else {}
        )
        response = post_login(Client(), email, WRONG, **extra)
        assert response.status_code in (400, 429), response.status_code
        clock.now += wait_after_refusal if response.status_code == 429 else step
    return password_checks["n"] - before


def test_an_attacker_gets_at_most_100_password_checks_an_hour_on_one_account(
    personas, clock, password_checks
):
    bound = settings.AXES_FAILURE_LIMIT * (math.floor(timedelta(hours=1) / cool_off()) + 1)
    # Waiting out each lockout exactly, from one address, then from a new address and browser each try.
    patient = _attack(
        clock,
        password_checks,
        "patient@example.test",
        cool_off() + timedelta(seconds=1),
        timedelta(seconds=1),
    )
    rotating = _attack(
        clock,
        password_checks,
        "other.patient@example.test",
        cool_off() + timedelta(seconds=1),
        timedelta(seconds=1),
        vary=True,
    )
    # Hammering without pause: the lockout never ends.
    hammering = _attack(
        clock, password_checks, "therapist@example.test", timedelta(seconds=20), timedelta(seconds=20)
    )
    assert hammering == settings.AXES_FAILURE_LIMIT
    for checks in (patient, rotating):
        assert settings.AXES_FAILURE_LIMIT < checks <= bound <= 100
