"""R1: fifty simultaneous requests for one slot, through real HTTP to four uvicorn processes.

Exactly one booking wins; the other 49 get 409 and a message; one live appointment is left; no
server error. The requests really run in parallel: Django runs sync views one at a time per ASGI
process, so the server has four worker processes and the clients are released together by a
barrier. Runs on whichever database the suite uses (SQLite file or PostgreSQL).
"""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ipt.accounts.actions import create_api_token
from ipt.accounts.models import CareTeam, Role
from ipt.conftest import make_user
from ipt.scheduling.actions import SLOT_TAKEN_MESSAGE
from ipt.scheduling.models import LIVE_STATUSES, Appointment
from ipt.scheduling.tests.conftest import next_weekday, set_profile, working_week

REQUESTS = 50
WORKERS = 4
TIMEOUT = 90


@pytest.fixture
def asgi_live_server(live_server_factory, settings):
    """Four uvicorn worker processes on the test database (this name also makes an SQLite run put
    its test database in a file the server can open)."""
    server = live_server_factory(workers=WORKERS)
    settings.SITE_URL = server.url
    return server


@pytest.fixture
def calendar(personas):
    therapist = personas.therapist
    therapist.time_zone = "Europe/London"
    therapist.save(update_fields=["time_zone"])
    working_week(therapist)
    set_profile(therapist, session_minutes=50, buffer_minutes=10, minimum_notice_hours=12)
    monday = next_weekday(timezone.now(), 0).date()
    # 10:00 London time, one of the slots whatever the season.
    return therapist, datetime.combine(monday, time(10), tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


def request(server, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict | list]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"raw": raw.decode(errors="replace")[:500]}


def fire_together(server, tokens: list[str], body: dict) -> list[tuple[int, dict | list]]:
    barrier = threading.Barrier(len(tokens))

    def book(token: str):
        barrier.wait(timeout=TIMEOUT)
        return request(server, token, "POST", "/api/v1/appointments", body)

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        return list(pool.map(book, tokens))


def assert_exactly_one_won(server, results, therapist, slot) -> None:
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: REQUESTS - 1}, (statuses, results, server.log_tail())
    assert all(body == {"detail": SLOT_TAKEN_MESSAGE} for status, body in results if status == 409), results
    live = Appointment.objects.filter(therapist=therapist, status__in=LIVE_STATUSES)
    assert [appointment.start for appointment in live] == [slot]
    [(_, winner)] = [(status, body) for status, body in results if status == 201]
    assert winner["id"] == str(live.get().pk)


def warm_up(server, tokens, therapist, slot) -> None:
    """One request per token first: the workers are started and each token's first use recorded."""
    query = urlencode(
        {"therapist": therapist.pk, "start": slot.isoformat(), "end": (slot + timedelta(hours=1)).isoformat()}
    )
    for token in tokens:
        status, slots = request(server, token, "GET", f"/api/v1/appointments/slots?{query}")
        assert status == 200, slots
        assert [parse_datetime(each["start"]) for each in slots] == [slot]


def test_fifty_patients_asking_for_one_slot_at_once_get_one_booking_and_forty_nine_conflicts(
    personas, calendar, asgi_live_server
):
    therapist, slot = calendar
    tokens = []
    for number in range(REQUESTS):
        patient = make_user(f"racer{number}@example.test", Role.PATIENT, first_name=f"Racer {number}")
        CareTeam.objects.create(patient=patient, therapist=therapist, referral_reason="concurrency test")
        tokens.append(create_api_token(actor=None, user=patient)[1])
    warm_up(asgi_live_server, tokens, therapist, slot)

    results = fire_together(
        asgi_live_server, tokens, {"therapist": str(therapist.pk), "start": slot.isoformat()}
    )

    assert_exactly_one_won(asgi_live_server, results, therapist, slot)


def test_one_patient_asking_for_one_slot_fifty_times_at_once_gets_one_booking(
    personas, calendar, asgi_live_server
):
    therapist, slot = calendar
    token = create_api_token(actor=None, user=personas.patient)[1]
    warm_up(asgi_live_server, [token], therapist, slot)

    results = fire_together(
        asgi_live_server, [token] * REQUESTS, {"therapist": str(therapist.pk), "start": slot.isoformat()}
    )

    assert_exactly_one_won(asgi_live_server, results, therapist, slot)
    assert Appointment.objects.get().patient == personas.patient
