"""The thread websocket (ws/threads/<id>/) through the real ASGI stack, on the real database.

Each socket carries a session cookie from a signed-in Django test Client and an Origin header, as
a browser's would. The therapist is "always open" so patients' messages get no automatic reply
(except where a test wants one).
"""

import json
import uuid
from datetime import time
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from ipt.accounts.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHORISED
from ipt.audit.models import AuditEvent
from ipt.messaging import actions
from ipt.messaging.attachments import Upload
from ipt.messaging.models import Message, ReadState, Thread
from ipt.scheduling.models import WeeklyHours

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

GOOD_ORIGIN = b"http://testserver"
TIMEOUT = 5
BURST = 200


# Setup shared with ipt/tests/test_messaging_live.py


def always_open(therapist) -> None:
    """Working hours all day every day: a patient's message gets no automatic reply."""
    for weekday in range(7):
        WeeklyHours.objects.create(
            therapist=therapist, weekday=weekday, starts=time(0, 0), ends=time(23, 59, 59, 999999)
        )


def a_thread(personas, body: str = "Hello, can we talk about this week?") -> Thread:
    """A thread of the patient's care team, started by the patient, with one message."""
    always_open(personas.therapist)
    return actions.start_thread(
        author=personas.patient,
        care_team=personas.care_team,
        subject="Since our last session",
        body=body,
        client_id=uuid.uuid4(),
    )


def thread_path(thread) -> str:
    return f"/ws/threads/{thread.pk}/"


def send_frame(body: str, client_id: str | None = None) -> dict:
    return {"type": "send", "client_id": client_id or str(uuid.uuid4()), "body": body}


# Sockets


async def member(open_socket, thread, user) -> WebsocketCommunicator:
    communicator, accepted, code = await open_socket(thread_path(thread), user)
    assert accepted, f"refused with {code}"
    return communicator


async def receive(communicator) -> dict:
    output = await communicator.receive_output(TIMEOUT)
    if output["type"] == "websocket.close":
        return {"closed": output.get("code")}
    return json.loads(output["text"])


async def receive_until(communicator, frame_type: str, limit: int = 500) -> tuple[dict, list[dict]]:
    """The next frame of that type, and the frames that came before it."""
    before = []
    for _ in range(limit):
        frame = await receive(communicator)
        if frame.get("type") == frame_type:
            return frame, before
        before.append(frame)
    raise AssertionError(f"no {frame_type} frame")


async def drain(communicator, quiet: float = 0.3) -> list[dict]:
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await receive(communicator))
    return frames


async def streaming(open_socket, thread, user, after: int = 0) -> tuple[WebsocketCommunicator, list[dict]]:
    """A member's socket that asked for everything after ``after``; the messages it caught up with."""
    communicator = await member(open_socket, thread, user)
    await communicator.send_json_to({"type": "since", "after": after})
    caught_up, frames = await receive_until(communicator, "caught_up")
    messages = [frame for frame in frames if frame["type"] == "message"]
    assert caught_up["last_id"] == (messages[-1]["id"] if messages else after)
    return communicator, messages


def ids(frames) -> list[int]:
    return [frame["id"] for frame in frames if frame.get("type") == "message"]


# Who may connect


@pytest.mark.parametrize(
    ("who", "expected"),
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
async def test_only_the_care_team_may_open_a_thread(personas, open_socket, who, expected):
    thread = await sync_to_async(a_thread)(personas)
    _, accepted, code = await open_socket(thread_path(thread), personas.get(who))
    assert (accepted, code if not accepted else None) == expected


async def test_a_thread_that_does_not_exist_is_refused_like_one_of_another_team(personas, open_socket):
    _, accepted, code = await open_socket(f"/ws/threads/{uuid.uuid4()}/", personas.patient)
    assert (accepted, code) == (False, CLOSE_FORBIDDEN)


async def test_a_thread_socket_from_another_origin_is_refused(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas)
    for origin in [b"https://evil.example", None]:
        _, accepted, _ = await open_socket(thread_path(thread), personas.patient, origin=origin)
        assert not accepted, origin


# Delivery


async def test_an_offline_receiver_gets_every_message_in_order_when_it_connects(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas, body="first")
    for n in range(2, 6):
        await sync_to_async(actions.send_message)(
            sender=personas.patient, thread=thread, client_id=uuid.uuid4(), body=f"message {n}"
        )
    therapist, messages = await streaming(open_socket, thread, personas.therapist)
    assert [m["body"] for m in messages] == ["first", "message 2", "message 3", "message 4", "message 5"]
    assert ids(messages) == sorted(ids(messages))
    first = messages[0]
    assert first["thread"] == str(thread.pk)
    assert first["sender"] == str(personas.patient.pk)
    assert (first["sender_name"], first["sender_role"]) == ("Paula Tient", "patient")
    assert (first["mine"], first["auto_reply"], first["attachments"]) == (False, False, [])
    assert first["sent_at"].startswith(str(thread.created_at.year))
    assert await therapist.receive_nothing(0.3)


async def test_since_resumes_after_the_last_id_and_pages_through_a_long_thread(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas, body="0")
    for n in range(1, 250):
        await sync_to_async(actions.send_message)(
            sender=personas.patient, thread=thread, client_id=uuid.uuid4(), body=str(n)
        )
    _, everything = await streaming(open_socket, thread, personas.therapist)
    assert [m["body"] for m in everything] == [str(n) for n in range(250)]
    seen = everything[99]["id"]
    _, rest = await streaming(open_socket, thread, personas.therapist, after=seen)
    assert [m["body"] for m in rest] == [str(n) for n in range(100, 250)]
    _, nothing = await streaming(open_socket, thread, personas.therapist, after=everything[-1]["id"])
    assert nothing == []


async def test_a_message_sent_over_the_socket_is_acked_and_reaches_both_members(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas)
    patient, seen = await streaming(open_socket, thread, personas.patient)
    therapist, _ = await streaming(open_socket, thread, personas.therapist)
    client_id = str(uuid.uuid4())
    await patient.send_json_to(send_frame("  I had a hard talk with my sister.  ", client_id))
    frames = [await receive(patient), await receive(patient)]
    ack = next(f for f in frames if f["type"] == "ack")
    mine = next(f for f in frames if f["type"] == "message")
    assert ack == {"type": "ack", "client_id": client_id, "id": mine["id"]}
    assert mine["body"] == "I had a hard talk with my sister."
    assert mine["mine"] is True and mine["id"] > seen[-1]["id"]
    theirs = await receive(therapist)
    assert theirs == {**mine, "mine": False}
    assert await therapist.receive_nothing(0.3)
    assert await patient.receive_nothing(0.1)


async def test_a_resend_with_the_same_client_id_is_acked_with_the_same_id_and_stored_once(
    personas, open_socket
):
    thread = await sync_to_async(a_thread)(personas)
    patient, _ = await streaming(open_socket, thread, personas.patient)
    therapist, _ = await streaming(open_socket, thread, personas.therapist)
    client_id = str(uuid.uuid4())
    await patient.send_json_to(send_frame("Are you there?", client_id))
    first_ack, _ = await receive_until(patient, "ack")
    await patient.send_json_to(send_frame("Are you there?", client_id))
    second_ack, _ = await receive_until(patient, "ack")
    assert first_ack == second_ack
    assert await Message.objects.filter(sender=personas.patient, client_id=client_id).acount() == 1
    to_therapist = await drain(therapist)
    assert ids(to_therapist) == [first_ack["id"]]


async def test_the_receiver_reconnecting_mid_burst_loses_nothing_and_sees_nothing_twice(
    personas, open_socket
):
    thread = await sync_to_async(a_thread)(personas, body="before the burst")
    patient, _ = await streaming(open_socket, thread, personas.patient)
    therapist, received = await streaming(open_socket, thread, personas.therapist)
    assert len(received) == 1

    bodies = [f"burst {n}" for n in range(BURST)]
    for body in bodies:
        await patient.send_json_to(send_frame(body))
    while len(received) < 50:
        frame = await receive(therapist)
        assert frame["type"] == "message", frame
        received.append(frame)
    await therapist.disconnect()
    stored_at_disconnect = await Message.objects.filter(thread=thread).acount()

    therapist, rest = await streaming(open_socket, thread, personas.therapist, after=received[-1]["id"])
    received += rest
    while len(received) < BURST + 1:
        frame = await receive(therapist)
        assert frame["type"] == "message", frame
        received.append(frame)

    assert [m["body"] for m in received] == ["before the burst", *bodies]
    assert ids(received) == sorted(set(ids(received)))
    assert await therapist.receive_nothing(0.3)
    # Every send was acked once, with the id the receiver saw.
    acks = {}
    while len(acks) < BURST:
        frame = await receive(patient)
        if frame["type"] == "ack":
            assert frame["client_id"] not in acks
            acks[frame["client_id"]] = frame["id"]
    assert sorted(acks.values()) == ids(received)[1:]
    assert await Message.objects.filter(thread=thread).acount() == BURST + 1
    assert stored_at_disconnect < BURST + 1, "the receiver left before the burst was over"


async def test_a_dropped_wake_up_loses_nothing(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas)
    therapist, _ = await streaming(open_socket, thread, personas.therapist)
    with mock.patch("ipt.messaging.events.message_stored"):
        lost_wake, _ = await sync_to_async(actions.send_message)(
            sender=personas.patient, thread=thread, client_id=uuid.uuid4(), body="no wake-up for me"
        )
    assert await therapist.receive_nothing(0.3)
    woken, _ = await sync_to_async(actions.send_message)(
        sender=personas.patient, thread=thread, client_id=uuid.uuid4(), body="wakes the socket"
    )
    assert ids(await drain(therapist)) == [lost_wake.id, woken.id]


async def test_an_automatic_reply_and_attachments_reach_the_socket(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas)
    await WeeklyHours.objects.filter(therapist=personas.therapist).adelete()  # closed now
    patient, _ = await streaming(open_socket, thread, personas.patient)
    note = Upload("notes.txt", b"what I want to say")
    message, _ = await sync_to_async(actions.send_message)(
        sender=personas.patient, thread=thread, client_id=uuid.uuid4(), body="see attached", files=[note]
    )
    mine, auto_reply = await receive(patient), await receive(patient)
    attachment = await message.attachments.aget()
    assert mine["attachments"] == [
        {
            "id": str(attachment.pk),
            "name": "notes.txt",
            "size": len(note.data),
            "content_type": "text/plain",
            "url": f"/messages/attachments/{attachment.pk}/",
        }
    ]
    assert auto_reply["auto_reply"] is True
    assert (auto_reply["sender"], auto_reply["sender_role"], auto_reply["mine"]) == (None, None, False)
    assert auto_reply["body"]


# Read receipts


async def test_read_receipts_reach_the_other_member_with_their_role(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas)
    patient, messages = await streaming(open_socket, thread, personas.patient)
    therapist, _ = await streaming(open_socket, thread, personas.therapist)
    await therapist.send_json_to({"type": "read", "up_to": messages[-1]["id"]})
    receipt = await receive(patient)
    assert receipt == {
        "type": "read",
        "user": str(personas.therapist.pk),
        "role": "therapist",
        "up_to": messages[-1]["id"],
    }
    assert await therapist.receive_nothing(0.3), "the reader's own socket is not told"
    state = await ReadState.objects.aget(thread=thread, user=personas.therapist)
    assert state.last_read_id == messages[-1]["id"]
    # Reading the same again is no news.
    await therapist.send_json_to({"type": "read", "up_to": messages[-1]["id"]})
    assert await patient.receive_nothing(0.3)


async def test_the_supervisor_reads_but_cannot_send_or_mark_read(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas, body="for the team")
    supervisor, messages = await streaming(open_socket, thread, personas.supervisor)
    assert [m["body"] for m in messages] == ["for the team"]
    patient, _ = await streaming(open_socket, thread, personas.patient)

    client_id = str(uuid.uuid4())
    await supervisor.send_json_to(send_frame("I should not be here", client_id))
    error = await receive(supervisor)
    assert error["type"] == "error" and error["client_id"] == client_id
    await supervisor.send_json_to({"type": "read", "up_to": messages[-1]["id"]})
    assert (await receive(supervisor))["type"] == "error"
    assert await patient.receive_nothing(0.3)
    assert await Message.objects.filter(thread=thread).acount() == 1
    assert not await ReadState.objects.filter(user=personas.supervisor).aexists()

    # The supervisor still sees what the members write.
    await patient.send_json_to(send_frame("Thanks"))
    frame, _ = await receive_until(supervisor, "message")
    assert frame["body"] == "Thanks" and frame["mine"] is False


# Errors and bookkeeping


async def test_a_refused_message_is_answered_with_an_error_naming_it(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas)
    patient, _ = await streaming(open_socket, thread, personas.patient)
    for frame in [
        send_frame("   "),
        send_frame("x" * (settings.IPT_MESSAGE_MAX_CHARS + 1)),
        send_frame("hi", "nope"),
    ]:
        await patient.send_json_to(frame)
        error = await receive(patient)
        assert error["type"] == "error" and error["client_id"] == frame["client_id"], error
        assert error["detail"]
    for malformed in ['{"type": "since", "after": -1}', '{"type": "shout"}', "not json"]:
        await patient.send_to(text_data=malformed)
        assert (await receive(patient))["type"] == "error"
    assert await Message.objects.filter(thread=thread).acount() == 1


async def test_ping_is_answered(personas, open_socket):
    thread = await sync_to_async(a_thread)(personas)
    patient = await member(open_socket, thread, personas.patient)
    await patient.send_json_to({"type": "ping", "id": 7})
    assert await receive(patient) == {"type": "pong", "id": 7}


async def test_nothing_is_pushed_before_since_and_each_since_is_audited_without_content(
    personas, open_socket
):
    thread = await sync_to_async(a_thread)(personas, body="SECRET-BODY")
    therapist = await member(open_socket, thread, personas.therapist)
    await sync_to_async(actions.send_message)(
        sender=personas.patient, thread=thread, client_id=uuid.uuid4(), body="SECRET-BODY two"
    )
    assert await therapist.receive_nothing(0.3)
    await therapist.send_json_to({"type": "since", "after": 0})
    await receive_until(therapist, "caught_up")
    await therapist.send_json_to({"type": "since", "after": 0})
    await receive_until(therapist, "caught_up")
    streams = [event async for event in AuditEvent.objects.filter(action="message.stream")]
    assert len(streams) == 2
    assert {(e.actor_id, e.object_id) for e in streams} == {(personas.therapist.pk, str(thread.pk))}
    assert all("SECRET" not in json.dumps(e.detail) for e in streams)
