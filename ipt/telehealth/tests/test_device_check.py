"""The device check page: for anyone signed in, with its script, testids and URLs as data attributes
(no inline script under the CSP); and the websocket ping it measures is answered with the same id."""

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from ipt.asgi import application
from ipt.conftest import sign_in

DEVICE_CHECK = "/device-check/"


@pytest.mark.parametrize("persona", ["patient", "therapist", "supervisor", "admin"])
def test_everyone_signed_in_can_check_their_devices(client_for, persona):
    response = client_for(persona).get(DEVICE_CHECK)
    assert response.status_code == 200
    body = response.content.decode()
    for testid in ("camera-status", "microphone-status", "connection-status"):
        assert f'data-testid="{testid}"' in body
    assert re.search(r"<video[^>]*\bmuted\b[^>]*\bautoplay\b[^>]*\bplaysinline\b", body)
    assert 'data-websocket-path="/ws/notifications/"' in body and 'data-health-url="/healthz"' in body
    assert '<script src="/static/js/device-check.js" defer></script>' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline script"
    assert " style=" not in body


def test_permission_help_is_written_for_each_browser(client_for):
    body = client_for("patient").get(DEVICE_CHECK).content.decode()
    for browser in ("chrome", "firefox", "safari", "ios", "android"):
        assert f'data-browser="{browser}"' in body
    assert "No camera or microphone found" in body


def test_the_way_back_to_joining_is_a_local_path_only(client_for):
    client = client_for("patient")
    join = "/appointments/8d1f6f0e-3d4b-4a51-9a8b-0c1d2e3f4a5b/join/"
    assert f'href="{join}"' in client.get(DEVICE_CHECK, {"next": join}).content.decode()
    assert "evil.example" not in client.get(DEVICE_CHECK, {"next": "https://evil.example/"}).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get(DEVICE_CHECK)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_device_check_script_exists_and_speaks_the_ping_frame():
    script = (settings.BASE_DIR / "static" / "js" / "device-check.js").read_text()
    assert 'type: "ping", id: next' in script and "getUserMedia" in script and "createAnalyser" in script


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_notification_socket_answers_each_ping_with_its_id(personas):
    client = await sync_to_async(lambda: sign_in(Client(), personas.patient))()
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    communicator = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", cookie.encode())],
    )
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    try:
        for number in (1, 2, 3):
            await communicator.send_to(text_data=json.dumps({"type": "ping", "id": number}))
            assert await communicator.receive_json_from(timeout=3) == {"type": "pong", "id": number}
    finally:
        await communicator.disconnect(timeout=0.2)
        # The consumer's database work ran in the sync thread: close its connections so the test
        # database can be flushed and dropped.
        await sync_to_async(connections.close_all)()
