"""Websockets through the real ASGI stack: origin check, session and token auth, frames, logoff (S4, S5).

Every test goes through ``ipt.asgi.application`` with a session cookie from a Django test
Client (or a bearer token), exactly as a browser or API client would connect.
"""

import json
from datetime import timedelta

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from ipt.accounts import actions, realtime, sessions
from ipt.accounts.realtime import CLOSE_FLOOD, CLOSE_FORBIDDEN, CLOSE_UNAUTHORISED, MAX_FRAME_BYTES
from ipt.asgi import application
from ipt.conftest import sign_in

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = "/ws/notifications/"
GOOD_ORIGIN = b"http://testserver"
# Generous: only a failing test waits this long, and CI machines can be busy.
TIMEOUT = 3


def presence_path(care_team) -> str:
    return f"/ws/care-teams/{care_team.pk}/presence/"


def _build_client(user, verified: bool) -> Client:
    client = Client()
    if verified:
        return sign_in(client, user)
    # Password accepted but no TOTP check yet: no django_otp device in the session.
    client.force_login(user, backend="ipt.accounts.backends.UserBackend")
    session = client.session
    sessions.start(session)
    session.save()
    return client


async def signed_in(user, *, verified: bool = True) -> Client:
    return await sync_to_async(_build_client)(user, verified)


def _shift_session(client: Client, key: str, age: timedelta) -> None:
    session = client.session
    session[key] = (timezone.now() - age).isoformat()
    session.save()


async def age_session(client: Client, age: timedelta, key: str = sessions.LAST_SEEN_KEY) -> None:
    await sync_to_async(_shift_session)(client, key, age)


def cookie_header(client: Client) -> tuple[bytes, bytes]:
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())


@pytest_asyncio.fixture
async def open_socket():
    """open_socket(path, client=..., origin=..., headers=...) -> (communicator, accepted, detail)."""
    opened: list[WebsocketCommunicator] = []

    async def connect(path, *, client=None, origin=GOOD_ORIGIN, headers=()):
        all_headers = list(headers)
        if origin is not None:
            all_headers.append((b"origin", origin))
        if client is not None:
            all_headers.append(cookie_header(client))
        communicator = WebsocketCommunicator(application, path, headers=all_headers)
        opened.append(communicator)
        accepted, detail = await communicator.connect(TIMEOUT)
        return communicator, accepted, detail

    yield connect
    for communicator in opened:
        if communicator.future.done():
            communicator.future.result()  # surface an exception raised inside a consumer
        else:
            # Short: with channels_redis a consumer can take up to its 5 s blocking pop to
            # notice that it was cancelled; the test is over by now.
            await communicator.disconnect(timeout=0.2)
    # Consumers' database work ran in the sync thread: close its connections so that the test
    # database can be flushed and dropped; then drop this test's channel-layer keys.
    await sync_to_async(connections.close_all)()
    await get_channel_layer().flush()


async def ping(communicator, ping_id: int = 1) -> dict:
    await communicator.send_json_to({"type": "ping", "id": ping_id})
    return await communicator.receive_json_from(TIMEOUT)


async def drain(communicator, quiet: float = 0.3) -> list[dict]:
    """Every message the consumer sends until it has been quiet for ``quiet`` seconds."""
    messages = []
    while not await communicator.receive_nothing(timeout=quiet):
        messages.append(await communicator.receive_output())
    return messages


def pongs_in(messages: list[dict]) -> int:
    return sum(
        1 for m in messages if m["type"] == "websocket.send" and json.loads(m["text"])["type"] == "pong"
    )


# Who may connect


async def test_it_refuses_an_unknown_origin_even_with_a_valid_session(personas, open_socket):
    client = await signed_in(personas.patient)
    for origin in [b"https://evil.example", b"http://testserver.evil.example", b"null"]:
        _, accepted, _ = await open_socket(NOTIFICATIONS, client=client, origin=origin)
        assert not accepted, origin
    _, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted, "the same session from a known origin is accepted"


async def test_it_refuses_a_socket_without_an_origin(personas, open_socket):
    client = await signed_in(personas.patient)
    _, accepted, _ = await open_socket(NOTIFICATIONS, client=client, origin=None)
    assert not accepted


async def test_it_refuses_an_anonymous_socket(personas, open_socket):
    _, accepted, code = await open_socket(NOTIFICATIONS)
    assert (accepted, code) == (False, CLOSE_UNAUTHORISED)


async def test_it_refuses_a_forged_session_cookie(personas, open_socket):
    _, accepted, code = await open_socket(
        NOTIFICATIONS, headers=[(b"cookie", b"sessionid=not-a-real-session-key-0123456789")]
    )
    assert (accepted, code) == (False, CLOSE_UNAUTHORISED)


async def test_it_refuses_a_staff_session_without_a_verified_totp_device(personas, open_socket):
    client = await signed_in(personas.therapist, verified=False)
    _, accepted, code = await open_socket(NOTIFICATIONS, client=client)
    assert (accepted, code) == (False, CLOSE_UNAUTHORISED)


async def test_it_accepts_a_fully_signed_in_session_of_every_role(personas, open_socket):
    for name in ["therapist", "supervisor", "admin", "patient"]:
        client = await signed_in(personas.get(name))
        communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
        assert accepted, name
        assert await ping(communicator, 7) == {"type": "pong", "id": 7}


# Frames


async def test_it_answers_a_ping_with_a_pong_of_the_same_id(personas, open_socket):
    client = await signed_in(personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted
    assert await ping(communicator, 41) == {"type": "pong", "id": 41}
    assert await ping(communicator, 42) == {"type": "pong", "id": 42}


# As ASGI "websocket.receive" messages, so that an empty text frame can be sent too.
MALFORMED_FRAMES = {
    "not json": {"text": "this is not json"},
    "json list": {"text": json.dumps([{"type": "ping", "id": 1}])},
    "json string": {"text": json.dumps("ping")},
    "unknown type": {"text": json.dumps({"type": "drop_tables", "id": 1})},
    "no type": {"text": json.dumps({"id": 1})},
    "wrong id type": {"text": json.dumps({"type": "ping", "id": "one"})},
    "empty text": {"text": ""},
    "binary frame": {"bytes": b'{"type": "ping", "id": 1}'},
    # A valid ping padded past the limit: only its size can get it rejected.
    "oversize frame": {"text": json.dumps({"type": "ping", "id": 1, "pad": "x" * MAX_FRAME_BYTES})},
}


async def test_it_drops_malformed_frames_with_an_error_and_stays_open(personas, open_socket):
    client = await signed_in(personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted
    for ping_id, (kind, frame) in enumerate(MALFORMED_FRAMES.items()):
        await communicator.send_input({"type": "websocket.receive", **frame})
        error = await communicator.receive_json_from(TIMEOUT)
        assert error["type"] == "error", kind
        assert await ping(communicator, ping_id) == {"type": "pong", "id": ping_id}, kind


async def test_it_throttles_a_burst_of_frames_and_stays_open(personas, open_socket):
    client = await signed_in(personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted
    burst = realtime.SecureConsumer.burst + realtime.SecureConsumer.max_dropped // 2
    for ping_id in range(burst):
        await communicator.send_json_to({"type": "ping", "id": ping_id})
    messages = await drain(communicator)
    assert all(m["type"] == "websocket.send" for m in messages)
    assert realtime.SecureConsumer.burst <= pongs_in(messages) < burst
    # The bucket refills at rate_per_second: a well-behaved client is served again.
    assert await ping(communicator, 999) == {"type": "pong", "id": 999}


async def test_it_closes_the_socket_with_4429_when_a_flood_continues(personas, open_socket):
    client = await signed_in(personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted
    frames = 300
    for ping_id in range(frames):
        await communicator.send_json_to({"type": "ping", "id": ping_id})
    messages = await drain(communicator)
    closes = [m for m in messages if m["type"] == "websocket.close"]
    assert pongs_in(messages) < frames
    assert closes, "the flood never closed the socket"
    assert closes[0]["code"] == CLOSE_FLOOD
    assert messages.index(closes[0]) == len(messages) - 1, "the consumer kept talking after closing"
    assert len(closes) == 1, "a closed socket must be closed once, not once per further frame"


# Care-team presence


async def test_care_team_members_see_each_other_come_and_go(personas, open_socket):
    patient_client = await signed_in(personas.patient)
    therapist_client = await signed_in(personas.therapist)
    path = presence_path(personas.care_team)

    patient_socket, accepted, _ = await open_socket(path, client=patient_client)
    assert accepted
    assert await patient_socket.receive_json_from(TIMEOUT) == {
        "type": "presence",
        "role": "patient",
        "online": True,
    }

    therapist_socket, accepted, _ = await open_socket(path, client=therapist_client)
    assert accepted
    assert await patient_socket.receive_json_from(TIMEOUT) == {
        "type": "presence",
        "role": "therapist",
        "online": True,
    }

    # The browser goes away (the fixture finishes the consumer off afterwards).
    await therapist_socket.send_input({"type": "websocket.disconnect", "code": 1001})
    assert await patient_socket.receive_json_from(TIMEOUT) == {
        "type": "presence",
        "role": "therapist",
        "online": False,
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("patient", (True, None)),
        ("therapist", (True, None)),
        ("supervisor", (True, None)),
        ("other_patient", (False, CLOSE_FORBIDDEN)),
        ("other_therapist", (False, CLOSE_FORBIDDEN)),
        ("admin", (False, CLOSE_FORBIDDEN)),
        ("anonymous", (False, CLOSE_UNAUTHORISED)),
    ],
)
async def test_presence_of_a_care_team_is_open_only_to_its_members(personas, open_socket, name, expected):
    user = personas.get(name)
    client = await signed_in(user) if user is not None else None
    communicator, accepted, detail = await open_socket(presence_path(personas.care_team), client=client)
    assert (accepted, detail) == expected
    if accepted:
        assert (await communicator.receive_json_from(TIMEOUT))["type"] == "presence"
    else:
        assert await communicator.receive_nothing(), "a refused socket must carry nothing"


async def test_a_refused_member_learns_nothing_about_a_care_team_that_does_not_exist(personas, open_socket):
    client = await signed_in(personas.therapist)
    _, accepted, code = await open_socket(
        "/ws/care-teams/00000000-0000-0000-0000-000000000000/presence/", client=client
    )
    assert (accepted, code) == (False, CLOSE_FORBIDDEN)


async def test_an_intruder_is_not_announced_to_the_care_team(personas, open_socket):
    patient_socket, accepted, _ = await open_socket(
        presence_path(personas.care_team), client=await signed_in(personas.patient)
    )
    assert accepted
    await patient_socket.receive_json_from(TIMEOUT)  # its own arrival
    _, accepted, _ = await open_socket(
        presence_path(personas.care_team), client=await signed_in(personas.other_therapist)
    )
    assert not accepted
    assert await patient_socket.receive_nothing(timeout=0.3)


# Session end: logout, idle and absolute limits


async def test_logout_closes_the_open_sockets_of_that_session(personas, open_socket):
    client = await signed_in(personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted
    response = await sync_to_async(client.post)("/logout/")
    assert response.status_code == 302
    closed = await communicator.receive_output(TIMEOUT)
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHORISED}


async def test_logout_leaves_the_sockets_of_another_session_open(personas, open_socket):
    leaving = await signed_in(personas.patient)
    staying = await signed_in(personas.patient)
    leaving_socket, accepted, _ = await open_socket(NOTIFICATIONS, client=leaving)
    assert accepted
    staying_socket, accepted, _ = await open_socket(NOTIFICATIONS, client=staying)
    assert accepted
    await sync_to_async(leaving.post)("/logout/")
    assert (await leaving_socket.receive_output(TIMEOUT))["code"] == CLOSE_UNAUTHORISED
    assert await ping(staying_socket, 5) == {"type": "pong", "id": 5}


async def test_a_logged_out_session_cookie_cannot_open_a_socket(personas, open_socket):
    client = await signed_in(personas.patient)
    cookie = cookie_header(client)
    await sync_to_async(client.post)("/logout/")
    _, accepted, code = await open_socket(NOTIFICATIONS, headers=[cookie])
    assert (accepted, code) == (False, CLOSE_UNAUTHORISED)


async def test_an_expired_session_cannot_open_a_socket(personas, open_socket):
    expired = {
        "patient idle": ("patient", sessions.LAST_SEEN_KEY, timedelta(minutes=31)),
        "staff idle": ("therapist", sessions.LAST_SEEN_KEY, timedelta(minutes=16)),
        "absolute": ("patient", sessions.STARTED_KEY, timedelta(hours=12, minutes=1)),
    }
    for case, (name, key, age) in expired.items():
        client = await signed_in(personas.get(name))
        await age_session(client, age, key)
        _, accepted, code = await open_socket(NOTIFICATIONS, client=client)
        assert (accepted, code) == (False, CLOSE_UNAUTHORISED), case


async def test_a_patient_idle_for_less_than_their_limit_may_still_connect(personas, open_socket):
    client = await signed_in(personas.patient)
    await age_session(client, timedelta(minutes=16))  # past the staff limit, within the patient's
    _, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted


async def test_an_open_socket_closes_when_its_session_expires(personas, open_socket, monkeypatch):
    monkeypatch.setattr(realtime, "SESSION_CHECK_INTERVAL", 0.05)
    client = await signed_in(personas.therapist)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted
    assert await ping(communicator) == {"type": "pong", "id": 1}
    await age_session(client, timedelta(minutes=16))
    closed = await communicator.receive_output(TIMEOUT)
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHORISED}


# Bearer tokens


def _token_for(user, revoked: bool = False) -> str:
    token, secret = actions.create_api_token(actor=user, user=user, name="test")
    if revoked:
        actions.revoke_api_token(actor=user, token=token)
    return secret


def bearer(secret: str) -> tuple[bytes, bytes]:
    return (b"authorization", f"Bearer {secret}".encode())


async def test_a_bearer_token_authenticates_a_socket(personas, open_socket):
    secret = await sync_to_async(_token_for)(personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, headers=[bearer(secret)])
    assert accepted
    assert await ping(communicator, 3) == {"type": "pong", "id": 3}


async def test_revoking_a_token_closes_its_open_sockets(personas, open_socket, monkeypatch):
    monkeypatch.setattr(realtime, "SESSION_CHECK_INTERVAL", 0.05)
    token, secret = await sync_to_async(actions.create_api_token)(actor=None, user=personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, headers=[bearer(secret)])
    assert accepted
    await sync_to_async(actions.revoke_api_token)(actor=None, token=token)
    closed = await communicator.receive_output(TIMEOUT)
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHORISED}


async def test_a_bearer_token_gives_its_user_no_more_than_their_care_teams(personas, open_socket):
    secret = await sync_to_async(_token_for)(personas.other_patient)
    _, accepted, code = await open_socket(presence_path(personas.care_team), headers=[bearer(secret)])
    assert (accepted, code) == (False, CLOSE_FORBIDDEN)


async def test_a_revoked_bearer_token_is_refused(personas, open_socket):
    secret = await sync_to_async(_token_for)(personas.patient, revoked=True)
    _, accepted, code = await open_socket(NOTIFICATIONS, headers=[bearer(secret)])
    assert (accepted, code) == (False, CLOSE_UNAUTHORISED)


async def test_an_unknown_bearer_token_is_refused_even_with_a_valid_session(personas, open_socket):
    client = await signed_in(personas.patient)
    _, accepted, code = await open_socket(NOTIFICATIONS, client=client, headers=[bearer("ipt_not-a-token")])
    assert (accepted, code) == (False, CLOSE_UNAUTHORISED)


async def test_a_bearer_token_socket_still_needs_a_known_origin(personas, open_socket):
    secret = await sync_to_async(_token_for)(personas.patient)
    _, accepted, _ = await open_socket(
        NOTIFICATIONS, headers=[bearer(secret)], origin=b"https://evil.example"
    )
    assert not accepted


# The Redis channel layer


@pytest.mark.skipif(not settings.REDIS_URL, reason="only the Redis channel layer has a blocking pop")
async def test_an_idle_socket_outlives_the_redis_blocking_pop(personas, open_socket):
    """An idle consumer must not crash when the layer's blocking pop returns empty-handed."""
    from channels_redis.core import RedisChannelLayer

    client = await signed_in(personas.patient)
    communicator, accepted, _ = await open_socket(NOTIFICATIONS, client=client)
    assert accepted
    assert await communicator.receive_nothing(timeout=RedisChannelLayer.brpop_timeout + 0.5)
    assert await ping(communicator, 6) == {"type": "pong", "id": 6}
