"""Messages through real servers: uvicorn processes (with Redis between two of them) and Chromium.

Sockets connect with the ``websockets`` library, an Origin header and a session cookie, as a
browser would. The browser test drives the thread page (templates/messaging/thread.html and
static/js/thread.js) for a patient and their therapist side by side.
"""

import asyncio
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from playwright.sync_api import expect
from websockets.asyncio.client import connect

from ipt.conftest import sign_in as signed_in_client
from ipt.messaging.models import Message
from ipt.messaging.tests.test_consumers import BURST, a_thread
from ipt.messaging.views import local_time
from ipt.tests.test_browser import csp_violations, watch_console
from ipt.tests.test_video_call_browser import SOCKET_SWITCH, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10
NEEDS_REDIS = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs REDIS_URL: two processes share wake-ups only through the Redis channel layer",
)


def session_cookie(user) -> str:
    client = signed_in_client(Client(), user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def open_thread(server, thread, cookie: str):
    url = server.url.replace("http://", "ws://") + f"/ws/threads/{thread.pk}/"
    return connect(url, origin=server.url, additional_headers={"Cookie": cookie}, open_timeout=TIMEOUT)


async def receive(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))


async def since(socket, after: int) -> list[dict]:
    """Ask for everything after ``after``; the message frames up to ``caught_up``."""
    await socket.send(json.dumps({"type": "since", "after": after}))
    messages = []
    while (frame := await receive(socket))["type"] != "caught_up":
        assert frame["type"] == "message", frame
        messages.append(frame)
    return messages


@pytest.mark.parametrize(
    "processes",
    [pytest.param(1, id="one-process"), pytest.param(2, id="two-processes", marks=NEEDS_REDIS)],
)
def test_a_burst_of_200_reaches_a_receiver_that_reconnects_midway_none_lost_or_doubled_in_order(
    asgi_live_server, live_server_factory, personas, processes
):
    # The patient writes through the first process; the therapist reads through the last one.
    patient_server = asgi_live_server
    therapist_server = live_server_factory() if processes == 2 else asgi_live_server
    thread = a_thread(personas, body="before the burst")
    patient_cookie, therapist_cookie = session_cookie(personas.patient), session_cookie(personas.therapist)
    bodies = [f"burst {n}" for n in range(BURST)]

    async def scenario() -> tuple[list[dict], dict[str, int], int]:
        async with open_thread(patient_server, thread, patient_cookie) as patient:
            await since(patient, 0)
            reader = open_thread(therapist_server, thread, therapist_cookie)
            async with reader as therapist:
                received = await since(therapist, 0)
                client_ids = [str(uuid.uuid4()) for _ in bodies]
                for client_id, body in zip(client_ids, bodies, strict=True):
                    await patient.send(json.dumps({"type": "send", "client_id": client_id, "body": body}))
                while len(received) < 50:
                    received.append(await receive(therapist))
            # Gone mid-burst; the patient keeps sending. Back, from the last message it saw.
            acks: dict[str, int] = {}
            while len(acks) < 60:
                frame = await receive(patient)
                if frame["type"] == "ack":
                    acks[frame["client_id"]] = frame["id"]
            acked_while_away = len(acks)
            async with open_thread(therapist_server, thread, therapist_cookie) as therapist:
                received += await since(therapist, received[-1]["id"])
                while len(received) < BURST + 1:
                    received.append(await receive(therapist))
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(therapist.recv(), 0.5)
            while len(acks) < BURST:
                frame = await receive(patient)
                if frame["type"] == "ack":
                    assert frame["client_id"] not in acks, "acked twice"
                    acks[frame["client_id"]] = frame["id"]
            assert set(acks) == set(client_ids)
            return received, acks, acked_while_away

    received, acks, acked_while_away = asyncio.run(scenario())
    assert acked_while_away < BURST, "the receiver was back before the burst was over"
    assert [frame["body"] for frame in received] == ["before the burst", *bodies]
    received_ids = [frame["id"] for frame in received]
    assert received_ids == sorted(set(received_ids)), "in order, each once"
    assert sorted(acks.values()) == received_ids[1:]
    assert Message.objects.filter(thread=thread).count() == BURST + 1


def thread_outside_the_browser_loop(personas, body: str):
    """start_thread wakes sockets with async_to_sync, which cannot run on Playwright's loop thread."""

    def start():
        try:
            return a_thread(personas, body=body)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(start).result()


@pytest.mark.browser
def test_the_therapist_sees_a_patients_message_live_and_the_patient_sees_it_read(
    personas, new_context, asgi_live_server, screenshot
):
    thread = thread_outside_the_browser_loop(personas, "Can we talk about my sister on Thursday?")
    personas.therapist.time_zone = "Pacific/Auckland"  # not the browser's zone (UTC)
    personas.therapist.save(update_fields=["time_zone"])
    therapist = new_context().new_page()
    patient = new_context().new_page()
    therapist_console, patient_console = watch_console(therapist), watch_console(patient)
    sign_in(therapist, personas.therapist)
    sign_in(patient, personas.patient)

    therapist.goto(f"/messages/{thread.pk}/")
    expect(therapist.locator("#thread")).to_have_attribute("data-socket", "live")
    therapist.evaluate("window.__stillTheSamePage = true")
    patient.goto(f"/messages/{thread.pk}/")
    expect(patient.locator("#thread")).to_have_attribute("data-socket", "live")

    patient.get_by_label("Your message").fill("I talked to her yesterday. It went better than I feared.")
    patient.get_by_role("button", name="Send").click()

    mine = patient.get_by_test_id("message").filter(has_text="It went better than I feared.")
    expect(mine).to_have_count(1)
    expect(mine).to_have_class("message mine")
    expect(patient.get_by_label("Your message")).to_have_value("")

    live = therapist.get_by_test_id("message").filter(has_text="It went better than I feared.")
    expect(live).to_have_count(1)
    expect(live.locator(".message-sender")).to_have_text("Paula Tient")
    assert therapist.evaluate("window.__stillTheSamePage") is True, "the therapist's page was reloaded"

    # The therapist's page was open and visible: the patient's message shows as read.
    expect(mine.get_by_test_id("read-mark")).to_be_visible()
    expect(mine.get_by_test_id("read-mark")).to_have_text("Read")
    screenshot(patient, "messaging-thread-read")
    screenshot(therapist, "messaging-thread-live")

    message = Message.objects.get(pk=int(mine.get_attribute("data-message-id")))
    assert (message.thread_id, message.sender_id) == (thread.pk, personas.patient.pk)
    assert message.body == "I talked to her yesterday. It went better than I feared."
    # Drawn live, the time reads as the server draws it: in the viewer's zone from their profile.
    expect(live.locator("time")).to_have_text(local_time(message.sent_at, personas.therapist))
    assert not csp_violations(therapist_console + patient_console)
    assert not [line for line in therapist_console + patient_console if line.startswith("pageerror")]


@pytest.mark.browser
def test_a_therapist_whose_connection_dropped_gets_what_was_sent_meanwhile_once_and_in_order(
    personas, new_context, asgi_live_server
):
    thread = thread_outside_the_browser_loop(personas, "First message")
    therapist_context = new_context()
    therapist_context.add_init_script(SOCKET_SWITCH)
    therapist, patient = therapist_context.new_page(), new_context().new_page()
    sign_in(therapist, personas.therapist)
    sign_in(patient, personas.patient)
    therapist.goto(f"/messages/{thread.pk}/")
    patient.goto(f"/messages/{thread.pk}/")
    for page in (therapist, patient):
        expect(page.locator("#thread")).to_have_attribute("data-socket", "live")

    # The therapist's network drops: the socket closes and cannot come back for a while.
    therapist.evaluate("() => { window.__offline = true; window.__sockets.forEach((s) => s.close()); }")
    expect(therapist.get_by_test_id("connection-status")).to_contain_text("reconnecting")
    sent = ["One", "Two", "Three"]
    for text in sent:
        patient.get_by_label("Your message").fill(text)
        patient.get_by_role("button", name="Send").click()
        expect(patient.get_by_label("Your message")).to_have_value("")
    therapist.wait_for_timeout(1000)
    expect(therapist.get_by_test_id("message")).to_have_count(1)

    therapist.evaluate("() => { window.__offline = false; }")
    expect(therapist.locator("#thread")).to_have_attribute("data-socket", "live", timeout=20_000)
    bodies = therapist.get_by_test_id("message").locator(".message-body")
    expect(bodies).to_have_text(["First message", *sent])
    ids = [
        int(i)
        for i in therapist.get_by_test_id("message").evaluate_all(
            "items => items.map((item) => item.dataset.messageId)"
        )
    ]
    assert ids == sorted(set(ids))
    # Back and visible: the therapist has read them, and the patient sees it.
    expect(
        patient.get_by_test_id("message").filter(has_text="Three").get_by_test_id("read-mark")
    ).to_be_visible()
