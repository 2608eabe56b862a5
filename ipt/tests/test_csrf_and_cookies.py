"""S5: CSRF on every form, and the cookies' attributes on real responses under production settings.

The test client skips CSRF checks unless asked: here every client is
``Client(enforce_csrf_checks=True)``. Every URL pattern of the project (the authorization probe's
discovery, one concrete URL per pattern) is posted a plausible form without the token, as every
persona: each must answer 403 and nothing in the database may change. The JSON API refuses a
cookie-authenticated write without the token, and accepts a bearer token (no cookie, no CSRF).
"""

import json
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client

from ipt.conftest import PASSWORD, sign_in
from ipt.tests.test_authorization_probe import (  # noqa: F401  (world is a fixture)
    FORM,
    _changed_tables,
    page_targets,
    snapshot,
    world,
)
from ipt.tests.test_health_and_deploy import production_env

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = ["therapist", "patient", "supervisor", "admin", "anonymous"]


def one_target_per_pattern(world):  # noqa: F811
    seen, targets = set(), []
    for target in page_targets(world):
        if target.group not in seen:
            seen.add(target.group)
            targets.append(target)
    return targets


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_form_refuses_a_post_without_the_csrf_token_and_changes_nothing(world, persona):  # noqa: F811
    client = sign_in(Client(enforce_csrf_checks=True, raise_request_exception=False), world.user(persona))
    targets = one_target_per_pattern(world)
    assert len(targets) > 50, "the discovery found the project's URL patterns"
    user = world.user(persona)
    own_name = {"full_name": f"{user.first_name} {user.last_name}"} if user else {}
    before = snapshot()
    accepted = []
    for target in targets:
        extras = world.form_extras.get(target.group) or [{}]
        payload = urlencode(world.plausible_form | own_name | extras[0])
        response = client.post(target.path, data=payload, content_type=FORM)
        if response.status_code != 403:
            accepted.append(f"POST {target.path}: {response.status_code}")
        elif b"CSRF" not in response.content:
            accepted.append(f"POST {target.path}: 403 but not for CSRF")
    assert accepted == [], "\n".join(accepted)
    assert _changed_tables(before, snapshot()) == []


def test_with_the_token_the_same_form_is_not_refused_for_csrf(personas):
    """The 403s above are the CSRF check's: the sign-in form posted with its token signs in."""
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    without = client.post("/login/", {"username": "patient@example.test", "password": PASSWORD})
    assert without.status_code == 403
    signed_in = client.post(
        "/login/", {"username": "patient@example.test", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert signed_in.status_code == 302 and signed_in.url == "/"


def test_the_api_refuses_a_cookie_post_without_the_token_but_takes_a_bearer_token(world):  # noqa: F811
    path = "/api/v1/instruments/phq9/score"
    body = json.dumps({"answers": [1, 1, 1, 1, 1, 1, 1, 1, 0]})
    cookie = sign_in(Client(enforce_csrf_checks=True), world.personas.patient)
    refused = cookie.post(path, data=body, content_type="application/json")
    assert refused.status_code == 403, refused.content
    token = cookie.get("/").cookies.get("csrftoken") or cookie.cookies.get("csrftoken")
    if token is not None:
        with_token = cookie.post(
            path, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token.value
        )
        assert with_token.status_code == 200, with_token.content
    bearer = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {world.tokens['patient']}"})
    answered = bearer.post(path, data=body, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["total"] == 8


# Cookies under production settings -----------------------------------------------------------------

COOKIE_SCRIPT = r"""
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.test import Client
from ipt.accounts.models import Role, User
user = User(email="cookie.patient@example.test", role=Role.PATIENT)
user.set_password({password!r})
user.save()
client = Client(HTTP_HOST="ipt.example.org", HTTP_X_FORWARDED_PROTO="https")
page = client.get("/login/", secure=True)
token = page.cookies["csrftoken"].value
signed_in = client.post(
    "/login/",
    {{"username": user.email, "password": {password!r}, "csrfmiddlewaretoken": token}},
    secure=True,
    HTTP_REFERER="https://ipt.example.org/login/",
)
print(json.dumps({{
    "login_page": [page.status_code, page.cookies.output(header="")],
    "sign_in": [signed_in.status_code, signed_in.cookies.output(header="")],
    "session_cookie_name": settings.SESSION_COOKIE_NAME,
    "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
}}))
"""


def test_cookies_are_secure_httponly_and_samesite_on_real_responses_under_production_settings(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'cookies.sqlite3'}")
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", COOKIE_SCRIPT.format(password=PASSWORD)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["login_page"][0] == 200
    assert found["sign_in"][0] == 302, found

    cookies = SimpleCookie()
    cookies.load(found["login_page"][1])
    cookies.load(found["sign_in"][1])
    session = cookies[found["session_cookie_name"]]
    csrf = cookies[found["csrf_cookie_name"]]
    for name, cookie in (("session", session), ("csrf", csrf)):
        assert cookie["secure"] is True, name
        assert cookie["samesite"] in ("Lax", "Strict"), name
    assert session["httponly"] is True
    assert csrf["httponly"] is True  # the page carries the token; no script needs the cookie
    assert session["max-age"] == "" or int(session["max-age"]) <= 12 * 60 * 60
