"""The remembered top of the page is the page Django would render, for every kind of viewer."""

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse, set_script_prefix

from ipt.lib.shell_tag import CSRF_MARK, _remembered

pytestmark = pytest.mark.django_db

PERSONAS = ["therapist", "other_therapist", "patient", "supervisor", "admin", "anonymous"]
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")([^"]*)"')


def page(client: Client, path: str = "/crisis/") -> str:
    """A page every persona may open (the crisis page), with its CSRF tokens taken out."""
    html = client.get(path).content.decode()
    assert CSRF_MARK not in html
    return TOKEN.sub(r"\1…", html)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_remembered_top_equals_a_fresh_render(persona, client_for, settings):
    client = client_for(persona)
    _remembered.cache_clear()
    first, again = page(client), page(client)  # the second from what the first remembered
    assert _remembered.cache_info().hits >= 1
    settings.DEBUG = True  # renders the top afresh on every page
    assert first == again == page(client)


def test_each_viewer_gets_their_own_top(personas, client_for):
    therapist, other = page(client_for("therapist")), page(client_for("other_therapist"))
    assert f'data-draft-user="{personas.therapist.pk}"' in therapist
    assert f'data-draft-user="{personas.other_therapist.pk}"' in other
    assert "Caseload" in therapist and "Safety plan" not in therapist
    patient = page(client_for("patient"))
    assert "Safety plan" in patient and "Caseload" not in patient
    assert "Sign out" not in page(client_for("anonymous"))


def test_the_page_carries_its_own_working_csrf_token(personas):
    from ipt.conftest import sign_in

    client = sign_in(Client(enforce_csrf_checks=True), personas.patient)
    html = client.get("/crisis/").content.decode()
    tokens = {token for _, token in TOKEN.findall(html)}
    assert len(tokens) == 1 and CSRF_MARK not in tokens.pop()
    form_token = re.search(
        r'data-sign-out>\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', html
    )
    assert form_token is not None
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": form_token.group(1)})
    assert response.status_code == 302
    assert client.get("/messages/").status_code == 302  # signed out: sent to sign in


def test_the_script_prefix_and_the_url_configuration_are_part_of_the_key(client_for):
    client = client_for("patient")
    assert 'class="brand" href="/"' in client.get("/crisis/").content.decode()
    set_script_prefix("/clinic/")  # as a server behind a path prefix does (the test client does not)
    try:
        behind_a_prefix = client.get("/crisis/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'class="brand" href="/clinic/"' in behind_a_prefix
    assert 'data-status-url="/clinic/session/status"' in behind_a_prefix
    with override_settings(ROOT_URLCONF="ipt.lib.tests.urls_with_crisis_elsewhere"):
        moved = client.get("/elsewhere/crisis/").content.decode()
    assert 'class="brand" href="/elsewhere/"' in moved
    assert 'class="brand" href="/"' in client.get("/crisis/").content.decode()
