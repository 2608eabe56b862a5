"""Idle logoff (15 minutes for staff, 30 for patients), 12 hours at most, and the warning."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ipt.accounts import sessions
from ipt.audit.models import AuditEvent


def age_session(client, idle: timedelta, since_start: timedelta | None = None) -> None:
    session = client.session
    now = timezone.now()
    session[sessions.LAST_SEEN_KEY] = (now - idle).isoformat()
    session[sessions.STARTED_KEY] = (now - (since_start or idle)).isoformat()
    session.save()


@pytest.mark.parametrize(
    ("persona", "still_in", "signed_out"),
    [
        ("therapist", timedelta(minutes=14), timedelta(minutes=15, seconds=1)),
        ("admin", timedelta(minutes=14), timedelta(minutes=15, seconds=1)),
        ("patient", timedelta(minutes=29), timedelta(minutes=30, seconds=1)),
    ],
)
def test_idle_sessions_end_after_the_limit_for_the_role(client_for, persona, still_in, signed_out):
    client = client_for(persona)
    age_session(client, still_in)
    assert client.get("/", follow=True).redirect_chain[-1:] != [("/login/?next=/", 302)]

    age_session(client, signed_out)
    response = client.get("/", follow=True)
    assert response.redirect_chain[0] == ("/login/?next=/", 302)
    assert "signed out after a period without activity" in response.content.decode()
    assert AuditEvent.objects.filter(action="logout").exists()


def test_sessions_end_after_twelve_hours_however_active(client_for):
    client = client_for("patient")
    age_session(client, idle=timedelta(minutes=1), since_start=timedelta(hours=12, seconds=1))
    response = client.get("/", follow=True)
    assert response.redirect_chain[0] == ("/login/?next=/", 302)
    assert "at most 12 hours" in response.content.decode()


def test_activity_keeps_a_session_alive(client_for):
    client = client_for("therapist")
    age_session(client, timedelta(minutes=10))
    assert client.get("/").status_code == 200
    seen = timezone.datetime.fromisoformat(client.session[sessions.LAST_SEEN_KEY])
    assert timezone.now() - seen < timedelta(seconds=5)


def test_the_status_check_does_not_count_as_activity(client_for):
    client = client_for("therapist")
    age_session(client, timedelta(minutes=14))
    status = client.get("/session/status").json()
    assert status["authenticated"] is True
    assert 0 < status["seconds_left"] <= 60
    seen = timezone.datetime.fromisoformat(client.session[sessions.LAST_SEEN_KEY])
    assert timezone.now() - seen >= timedelta(minutes=14)


def test_stay_signed_in_resets_the_idle_clock(client_for):
    client = client_for("therapist")
    age_session(client, timedelta(minutes=14))
    status = client.post("/session/keepalive").json()
    assert status["seconds_left"] > 14 * 60


def test_pages_carry_the_numbers_the_warning_script_needs(client_for):
    page = client_for("patient").get("/").content.decode()
    assert 'data-idle-seconds="1800"' in page
    assert 'data-warning-seconds="120"' in page
    assert "js/session-timeout.js" in page
    staff_page = client_for("therapist").get("/").content.decode()
    assert 'data-idle-seconds="900"' in staff_page


def test_the_session_cookie_expires_within_twelve_hours(settings):
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY
