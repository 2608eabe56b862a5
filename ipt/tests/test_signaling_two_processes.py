"""A call whose two members are on two server processes (uvicorn), joined by the Redis channel layer.

The patient's socket goes to one process and the therapist's to the other, with the ``websockets``
library, an Origin header and a session cookie, as a browser would connect. Presence, signals and
chat must cross between the processes.
"""

import asyncio
import json
import os
import uuid

import pytest
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import connect

from ipt.conftest import sign_in
from ipt.telehealth import actions
from ipt.telehealth.tests.test_actions import appointment_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs REDIS_URL: two processes share signaling only through the Redis channel layer",
    ),
]
TIMEOUT = 5


def session_cookie(user) -> str:
    client = sign_in(Client(), user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def open_call(server, appointment, cookie: str):
    url = server.url.replace("http://", "ws://") + f"/ws/appointments/{appointment.pk}/call/"
    return connect(url, origin=server.url, additional_headers={"Cookie": cookie}, open_timeout=TIMEOUT)


async def receive(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))


async def nothing_arrives(socket, wait: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(socket.recv(), wait)
    except TimeoutError:
        return True
    return False


def test_a_call_works_with_its_two_members_on_two_server_processes(
    asgi_live_server, live_server_factory, personas
):
    # asgi_live_server is the first process (and makes the SQLite test database a file).
    first, second = asgi_live_server, live_server_factory()
    appointment = appointment_of(personas)
    appointment = actions.admit_patient(actor=personas.therapist, appointment=appointment)
    patient_cookie, therapist_cookie = session_cookie(personas.patient), session_cookie(personas.therapist)

    async def scenario() -> None:
        async with open_call(first, appointment, patient_cookie) as patient:
            assert await receive(patient) == {
                "type": "hello",
                "role": "patient",
                "polite": True,
                "peer_present": False,
            }
            async with open_call(second, appointment, therapist_cookie) as therapist:
                hello = await receive(therapist)
                assert (hello["role"], hello["peer_present"]) == ("therapist", True)
                assert await receive(patient) == {"type": "peer", "present": True}

                offer = {"type": "signal", "description": {"type": "offer", "sdp": "v=0\r\n"}}
                await therapist.send(json.dumps(offer))
                assert await receive(patient) == offer
                candidate = {
                    "type": "signal",
                    "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"},
                }
                await patient.send(json.dumps(candidate))
                assert await receive(therapist) == candidate
                assert await nothing_arrives(patient), "a signal is never echoed"

                for sender, other, body in [
                    (patient, therapist, "hello from A"),
                    (therapist, patient, "hi from B"),
                ]:
                    await sender.send(
                        json.dumps({"type": "chat", "client_id": str(uuid.uuid4()), "body": body})
                    )
                    mine, theirs = await receive(sender), await receive(other)
                    assert mine == theirs and mine["body"] == body

            assert await receive(patient) == {"type": "peer", "present": False}

    asyncio.run(scenario())
    assert appointment.encounter.chat_messages.count() == 2
