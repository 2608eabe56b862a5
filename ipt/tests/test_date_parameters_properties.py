"""R7, parsing: date, time, ``since`` and ``after`` parameters of pages and API operations, fuzzed
with hypothesis. Whatever the value (valid instants in any zone, the first and last representable
days, offsets a database refuses, naive times, impossible dates, numbers, random text), the answer
is never a server error; the API refuses with a 4xx whose ``detail`` says what was wrong, and a
page refuses with a 4xx or shows its form's error.

Requests go through Django's test client (the real URLconf, middleware and views), each inside a
savepoint rolled back afterwards so that, on PostgreSQL, one refused statement cannot spoil the
next example.
"""

import json
from datetime import UTC, datetime, timedelta
from datetime import timezone as fixed_zone
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipt.accounts.actions import create_api_token
from ipt.conftest import sign_in
from ipt.scheduling.tests.conftest import add_appointment, working_week

pytestmark = pytest.mark.django_db

OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: fixed_zone(timedelta(minutes=minutes)))
INSTANTS = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=st.none() | OFFSETS)
EDGES = [
    "0001-01-01T00:00:00+01:00",  # before the first representable instant in UTC
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",  # after the last one
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31",
    "2026-03-29T02:30:00",  # naive, and inside London's missing hour
    "2026-03-29T02:30:00+23:59",
    "2026-02-30T10:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T10:00:00+24:00",
    "２０２６-０１-０１",  # full-width digits
    "2026-01-01T10:00:00Z\x00",
    "1e309",
    "-1",
    "99999999999999999999",
    "1700000000",
    "",
    " ",
    "now",
    "2026-W01-1",
]
DATE_TEXTS = st.one_of(
    st.sampled_from(EDGES),
    INSTANTS.map(lambda moment: moment.isoformat()),
    INSTANTS.map(lambda moment: moment.isoformat().replace("+00:00", "Z")),
    st.dates().map(lambda day: day.isoformat()),
    st.integers().map(str),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
)
INTEGER_TEXTS = st.one_of(
    st.integers().map(str),
    st.sampled_from(["", "-0", "1.5", "1e3", "0x10", "２", "2147483648", "-9223372036854775809"]),
    st.text(max_size=12),
)
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def bearer(user) -> Client:
    token = create_api_token(actor=None, user=user)[1]
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token}"})


def session(user) -> Client:
    client = Client(raise_request_exception=False)
    sign_in(client, user)
    return client


def get(client: Client, path: str, query: dict[str, str] | None = None):
    """One request in a savepoint rolled back afterwards."""
    savepoint = transaction.savepoint()
    try:
        return client.get(f"{path}?{urlencode(query)}" if query else path)
    finally:
        transaction.savepoint_rollback(savepoint)


def api_answer_is_clean(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: server error {response.status_code}"
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert body.get("detail"), f"{what}: {response.status_code} without a detail: {body}"
        assert response.status_code in (400, 404, 422), f"{what}: {response.status_code}"


def page_answer_is_clean(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: server error {response.status_code}"
    assert response.status_code in (200, 302, 400, 404), f"{what}: {response.status_code}"


@pytest.fixture
def calendar(personas):
    """Open hours and one appointment, so the range and slot queries have rows to find."""
    working_week(personas.therapist, weekdays=range(7))
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    return add_appointment(personas.therapist, personas.patient, start)


def test_the_api_slot_window_takes_any_start_and_end(personas, calendar):
    clients = {"patient": bearer(personas.patient), "therapist": bearer(personas.therapist)}
    therapist = str(personas.therapist.pk)
    start = calendar.start.replace(hour=0) + timedelta(days=1)
    window = {
        "therapist": therapist,
        "start": start.isoformat(),
        "end": (start + timedelta(days=2)).isoformat(),
    }
    plain = get(clients["patient"], "/api/v1/appointments/slots", window)
    assert plain.status_code == 200 and json.loads(plain.content), "the plain window has open slots"

    @EXAMPLES
    @given(who=st.sampled_from(sorted(clients)), start=DATE_TEXTS, end=DATE_TEXTS)
    def run(who, start, end):
        query = {"therapist": therapist, "start": start, "end": end}
        api_answer_is_clean(get(clients[who], "/api/v1/appointments/slots", query), f"{who} slots {query}")

    run()


def test_the_api_slot_window_around_valid_instants(personas, calendar):
    client = bearer(personas.patient)
    therapist = str(personas.therapist.pk)

    @EXAMPLES
    @given(start=INSTANTS, length=st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(days=40)))
    def run(start, length):
        try:
            end = start + length
        except OverflowError:
            end = start
        query = {"therapist": therapist, "start": start.isoformat(), "end": end.isoformat()}
        response = get(client, "/api/v1/appointments/slots", query)
        api_answer_is_clean(response, f"slots {query}")
        if response.status_code == 200:
            for slot in json.loads(response.content):
                assert start <= datetime.fromisoformat(slot["start"].replace("Z", "+00:00")) <= end

    run()


def test_the_api_appointment_range_takes_any_from_and_to(personas, calendar):
    clients = {
        "patient": bearer(personas.patient),
        "therapist": bearer(personas.therapist),
        "supervisor": bearer(personas.supervisor),
    }

    @EXAMPLES
    @given(who=st.sampled_from(sorted(clients)), since=DATE_TEXTS, until=DATE_TEXTS, which=st.integers(0, 2))
    def run(who, since, until, which):
        query = [{"from": since}, {"to": until}, {"from": since, "to": until}][which]
        api_answer_is_clean(get(clients[who], "/api/v1/appointments", query), f"{who} appointments {query}")

    run()


def test_the_api_messages_after_takes_any_value(personas):
    import uuid

    from ipt.messaging.actions import start_thread  # the messaging work: imported only here

    thread = start_thread(
        author=personas.patient, care_team=personas.care_team, subject="Hello", body="A first message.",
        client_id=uuid.uuid4(),
    )  # fmt: skip
    clients = {"patient": bearer(personas.patient), "therapist": bearer(personas.therapist)}
    path = f"/api/v1/messages/threads/{thread.pk}/messages"

    @EXAMPLES
    @given(who=st.sampled_from(sorted(clients)), after=INTEGER_TEXTS, limit=st.none() | INTEGER_TEXTS)
    def run(who, after, limit):
        query = {"after": after} | ({} if limit is None else {"limit": limit})
        api_answer_is_clean(get(clients[who], path, query), f"{who} messages {query}")

    run()


def test_the_audit_search_page_takes_any_since_and_until(personas):
    clients = {"supervisor": session(personas.supervisor), "admin": session(personas.admin)}
    path = reverse("audit_search")
    assert get(clients["supervisor"], path, {"since": "2026-01-01"}).status_code == 200

    @EXAMPLES
    @given(who=st.sampled_from(sorted(clients)), since=DATE_TEXTS, until=DATE_TEXTS, page=INTEGER_TEXTS)
    def run(who, since, until, page):
        query = {"since": since, "until": until, "page": page}
        response = get(clients[who], path, query)
        page_answer_is_clean(response, f"{who} audit {query}")
        if response.status_code == 400:
            assert b'class="error"' in response.content, (
                f"{who} audit {query}: 400 without saying which filter is wrong"
            )

    run()


def test_the_diary_day_page_takes_any_day(personas, calendar):
    from ipt.visits.tests.conftest import make_course

    make_course(personas.care_team)
    client = session(personas.patient)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert get(client, f"/my/diary/{yesterday}/").status_code == 200

    @EXAMPLES
    @given(day=DATE_TEXTS.filter(lambda text: "/" not in text and text not in ("", ".", "..")))
    def run(day):
        response = get(client, f"/my/diary/{quote(day, safe='')}/")
        page_answer_is_clean(response, f"diary day {day!r}")
        if response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            assert (
                b"YYYY-MM-DD" in response.content
                or b"not come yet" in response.content
                or (b"Not Found" in response.content or b"not found" in response.content.lower())
            )

    run()


def test_the_week_of_the_schedule_and_booking_pages_takes_any_value(personas, calendar):
    from ipt.visits.tests.conftest import make_course

    make_course(personas.care_team)
    patient = session(personas.patient)
    clients = {
        ("therapist", reverse("schedule")): session(personas.therapist),
        ("patient", reverse("my_appointments")): patient,
        ("patient", reverse("appointment_reschedule", args=[calendar.pk])): patient,
    }

    for (who, path), client in clients.items():
        assert get(client, path, {"week": "1"}).status_code == 200, f"{who} {path}"

    @EXAMPLES
    @given(target=st.sampled_from(sorted(clients)), week=INTEGER_TEXTS | DATE_TEXTS)
    def run(target, week):
        page_answer_is_clean(get(clients[target], target[1], {"week": week}), f"{target} week={week!r}")

    run()
