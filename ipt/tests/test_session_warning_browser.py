"""The idle logoff as a person meets it (S4), in Chromium against uvicorn: the warning before it,
"Stay signed in", and a live page (the waiting room) that keeps the sign-in alive while its socket
is open. static/js/session-timeout.js asks the server; live-socket.js asks it through that script.

A keep-alive the server cannot answer (busy, restarting) signs nobody out.

The page's clock is Playwright's (``page.clock``), so minutes pass at once; the server's clock is
real, so the session is aged in the database instead.
"""

from datetime import datetime, timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from ipt.accounts import sessions
from ipt.tests.conftest import signed_in_context
from ipt.tests.test_video_call_browser import appointment_now

pytestmark = pytest.mark.browser


def _session(page: Page):
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def _last_seen(page: Page) -> datetime:
    return datetime.fromisoformat(_session(page)[sessions.LAST_SEEN_KEY])


def _warned(new_context, server_url: str, patient) -> Page:
    """A patient's page showing the warning: a minute left of the 30 on the server, and the page's
    own count two minutes from its end (when it checks)."""
    page = signed_in_context(new_context, server_url, patient).new_page()
    page.clock.install()
    page.goto("/")
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_hidden()
    session = _session(page)
    almost_idle = timezone.now() - settings.IDLE_LOGOFF_PATIENT + timedelta(minutes=1)
    session[sessions.LAST_SEEN_KEY] = almost_idle.isoformat()
    session.save()
    page.clock.fast_forward("28:00")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("You will be signed out soon")
    return page


def test_the_warning_comes_before_the_idle_logoff_and_stay_signed_in_keeps_the_session(
    new_context, asgi_live_server, personas
):
    page = _warned(new_context, asgi_live_server.url, personas.patient)
    before = timezone.now()
    with page.expect_response(lambda r: r.url.endswith(reverse("session_keepalive"))) as kept:
        page.get_by_role("button", name="Stay signed in").click()
    assert kept.value.status == 200 and kept.value.json()["seconds_left"] > 29 * 60
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    assert _last_seen(page) >= before - timedelta(seconds=1)


def test_a_keep_alive_the_server_cannot_answer_signs_nobody_out(new_context, asgi_live_server, personas):
    page = _warned(new_context, asgi_live_server.url, personas.patient)
    page.route(f"**{reverse('session_keepalive')}", lambda route: route.fulfill(status=503, body="busy"))
    with page.expect_response(lambda r: r.url.endswith(reverse("session_status"))) as status:
        page.get_by_role("button", name="Stay signed in").click()
    assert status.value.json()["authenticated"] is True  # asked the server instead of guessing
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert "/login/" not in page.url


def test_a_live_page_keeps_the_sign_in_alive_while_its_socket_is_open(
    new_context, asgi_live_server, personas
):
    appointment = appointment_now(personas)
    page = signed_in_context(new_context, asgi_live_server.url, personas.patient).new_page()
    page.clock.install()
    page.goto(reverse("waiting_room", args=[appointment.pk]))
    expect(page.get_by_test_id("waiting-status")).to_contain_text("You are in the waiting room")
    seen_at_load = _last_seen(page)

    with page.expect_response(lambda r: r.url.endswith(reverse("session_keepalive"))) as kept:
        page.clock.fast_forward("05:01")  # nobody clicks for five minutes
    assert kept.value.status == 200 and kept.value.request.method == "POST"
    assert _last_seen(page) > seen_at_load
    expect(page.get_by_role("alertdialog")).to_be_hidden()
