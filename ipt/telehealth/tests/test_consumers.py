"""The lobby, waiting-room and call websockets through the real ASGI stack (ipt.asgi.application).

Each socket carries a session cookie from a signed-in Django test Client and an Origin header,
as a browser's would.
"""

import json
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from ipt.accounts.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHORISED, user_group
from ipt.scheduling import actions as booking
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth import actions
from ipt.telehealth.consumers import CLOSE_REPLACED
from ipt.telehealth.models import ChatMessage
from ipt.telehealth.tests.test_actions import appointment_of, make_appointment

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

GOOD_ORIGIN = b"http://testserver"
TIMEOUT = 3
LOBBY = "/ws/waiting-room/"
ROLES = ("therapist", "patient")


def call_path(appointment) -> str:
    return f"/ws/appointments/{appointment.pk}/call/"


def waiting_path(appointment) -> str:
    return f"/ws/appointments/{appointment.pk}/waiting/"


async def booked(personas, **options) -> Appointment:
    return await sync_to_async(appointment_of)(personas, **options)


async def arrived(personas, **options) -> Appointment:
    appointment = await booked(personas, **options)
    return await sync_to_async(actions.admit_patient)(actor=personas.therapist, appointment=appointment)


async def member(open_socket, path, user) -> WebsocketCommunicator:
    communicator, accepted, code = await open_socket(path, user)
    assert accepted, f"refused with {code}"
    return communicator


async def receive(communicator) -> dict:
    output = await communicator.receive_output(TIMEOUT)
    if output["type"] == "websocket.close":
        return {"closed": output.get("code")}
    return json.loads(output["text"])


async def receive_until(communicator, frame_type: str) -> dict:
    """The next frame of that type (presence frames may come first)."""
    for _ in range(10):
        frame = await receive(communicator)
        if frame.get("type") == frame_type:
            return frame
    raise AssertionError(f"no {frame_type} frame")


async def drain(communicator, quiet: float = 0.3) -> list[dict]:
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await receive(communicator))
    return frames


async def in_call(open_socket, appointment, personas):
    """Both members connected to the call, their hello and presence frames consumed."""
    therapist = await member(open_socket, call_path(appointment), personas.therapist)
    assert (await receive(therapist))["type"] == "hello"
    patient = await member(open_socket, call_path(appointment), personas.patient)
    assert (await receive(patient))["peer_present"] is True
    assert await receive(therapist) == {"type": "peer", "present": True}
    return therapist, patient


# Who may connect


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("therapist", (True, None)),
        ("patient", (True, None)),
        ("other_patient", (False, CLOSE_FORBIDDEN)),
        ("other_therapist", (False, CLOSE_FORBIDDEN)),
        ("supervisor", (False, CLOSE_FORBIDDEN)),
        ("admin", (False, CLOSE_FORBIDDEN)),
        ("anonymous", (False, CLOSE_UNAUTHORISED)),
    ],
)
async def test_only_the_two_members_may_join_the_call(personas, open_socket, who, expected):
    appointment = await arrived(personas)
    _, accepted, code = await open_socket(call_path(appointment), personas.get(who))
    assert (accepted, code if not accepted else None) == expected


@pytest.mark.parametrize(
    ("who", "accepted"),
    [
        ("patient", True),
        ("therapist", False),
        ("other_patient", False),
        ("other_therapist", False),
        ("supervisor", False),
        ("admin", False),
        ("anonymous", False),
    ],
)
async def test_only_the_appointments_patient_may_wait_in_its_waiting_room(
    personas, open_socket, who, accepted
):
    appointment = await booked(personas)
    _, was_accepted, _ = await open_socket(waiting_path(appointment), personas.get(who))
    assert was_accepted is accepted


@pytest.mark.parametrize(
    ("who", "accepted"),
    [
        ("therapist", True),
        ("other_therapist", True),
        ("patient", False),
        ("supervisor", False),
        ("admin", False),
    ],
)
async def test_the_lobby_is_for_therapists(personas, open_socket, who, accepted):
    _, was_accepted, _ = await open_socket(LOBBY, personas.get(who))
    assert was_accepted is accepted


async def test_a_call_socket_from_another_origin_is_refused(personas, open_socket):
    appointment = await arrived(personas)
    for origin in [b"https://evil.example", None]:
        _, accepted, _ = await open_socket(call_path(appointment), personas.patient, origin=origin)
        assert not accepted, origin


async def test_a_room_that_does_not_exist_is_refused(personas, open_socket):
    _, accepted, code = await open_socket(f"/ws/appointments/{uuid.uuid4()}/call/", personas.patient)
    assert (accepted, code) == (False, CLOSE_FORBIDDEN)


async def test_outside_the_call_window_both_rooms_are_closed(personas, open_socket):
    early = await booked(personas, starts_in=timedelta(minutes=20))
    _, accepted, _ = await open_socket(waiting_path(early), personas.patient)
    assert not accepted, "20 minutes early"
    late = await booked(personas, starts_in=timedelta(hours=-3))
    await Appointment.objects.filter(pk=late.pk).aupdate(status=AppointmentStatus.ARRIVED)
    for user in (personas.patient, personas.therapist):
        _, accepted, _ = await open_socket(call_path(late), user)
        assert not accepted, "two hours after the end"


async def test_before_admission_the_call_is_closed_and_after_it_the_waiting_room(personas, open_socket):
    appointment = await booked(personas)
    for user in (personas.patient, personas.therapist):
        _, accepted, _ = await open_socket(call_path(appointment), user)
        assert not accepted
    await sync_to_async(actions.admit_patient)(actor=personas.therapist, appointment=appointment)
    _, accepted, _ = await open_socket(waiting_path(appointment), personas.patient)
    assert not accepted


async def test_a_patient_who_is_not_ready_cannot_wait(personas, open_socket):
    appointment = await booked(personas, ready=False)
    _, accepted, code = await open_socket(waiting_path(appointment), personas.patient)
    assert (accepted, code) == (False, CLOSE_FORBIDDEN)


# Frames


async def test_malformed_and_unknown_frames_get_an_error_and_nothing_breaks(personas, open_socket):
    appointment = await arrived(personas)
    therapist, patient = await in_call(open_socket, appointment, personas)
    bad_frames = [
        "not json",
        "[]",
        json.dumps({"type": "dance"}),
        json.dumps({"no": "type"}),
        json.dumps({"type": "signal"}),
        json.dumps({"type": "signal", "description": None}),
        json.dumps({"type": "signal", "description": {"type": "offer"}, "candidate": None}),
        json.dumps({"type": "chat", "client_id": "not-a-uuid", "body": "hi"}),
        json.dumps({"type": "chat_since", "after": -1}),
    ]
    for text in bad_frames:
        await patient.send_to(text_data=text)
        frame = await receive(patient)
        assert frame["type"] == "error" and frame["detail"], text
    await patient.send_json_to({"type": "chat", "client_id": str(uuid.uuid4()), "body": "   "})
    assert (await receive(patient)) == {"type": "error", "detail": "Write a message before sending it."}
    assert await therapist.receive_nothing(0.2), "the other member heard nothing of it"
    await patient.send_json_to({"type": "ping", "id": 7})
    assert await receive(patient) == {"type": "pong", "id": 7}
    await patient.send_json_to({"type": "signal", "candidate": None})
    assert await receive(therapist) == {"type": "signal", "candidate": None}
    assert not await sync_to_async(ChatMessage.objects.exists)()


async def test_a_signal_goes_to_the_other_member_only_and_is_never_echoed(personas, open_socket):
    appointment = await arrived(personas)
    therapist, patient = await in_call(open_socket, appointment, personas)
    offer = {"type": "signal", "description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}
    await therapist.send_json_to(offer)
    assert await receive(patient) == offer
    candidate = {
        "type": "signal",
        "candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "sdpMid": "0"},
    }
    await patient.send_json_to(candidate)
    assert await receive(therapist) == candidate
    assert await therapist.receive_nothing(0.2) and await patient.receive_nothing(0.2)


async def test_a_signal_does_not_reach_another_appointments_call(personas, open_socket):
    appointment = await arrived(personas)
    other = await sync_to_async(make_appointment)(
        personas.other_therapist, personas.other_patient, care_team=personas.other_care_team
    )
    other = await sync_to_async(actions.admit_patient)(actor=personas.other_therapist, appointment=other)
    therapist, patient = await in_call(open_socket, appointment, personas)
    stranger = await member(open_socket, call_path(other), personas.other_patient)
    assert (await receive(stranger))["type"] == "hello"
    await patient.send_json_to({"type": "signal", "candidate": None})
    assert await receive(therapist) == {"type": "signal", "candidate": None}
    assert await stranger.receive_nothing(0.2)


async def test_chat_is_stored_once_despite_a_resend_and_reaches_both(personas, open_socket):
    appointment = await arrived(personas)
    therapist, patient = await in_call(open_socket, appointment, personas)
    client_id = str(uuid.uuid4())
    await patient.send_json_to({"type": "chat", "client_id": client_id, "body": " Can you hear me? "})
    to_patient, to_therapist = await receive(patient), await receive(therapist)
    assert to_patient == to_therapist
    assert to_patient["type"] == "chat" and to_patient["client_id"] == client_id
    assert (to_patient["from"], to_patient["name"], to_patient["body"]) == (
        "patient",
        "Paula Tient",
        "Can you hear me?",
    )
    await patient.send_json_to({"type": "chat", "client_id": client_id, "body": " Can you hear me? "})
    assert await receive(patient) == to_patient, "the resend is confirmed with the stored message"
    assert await therapist.receive_nothing(0.3), "and not delivered twice"
    assert await sync_to_async(ChatMessage.objects.count)() == 1
    await therapist.send_json_to({"type": "chat", "client_id": str(uuid.uuid4()), "body": "Yes"})
    reply = await receive(patient)
    assert (reply["from"], reply["body"], reply["id"] > to_patient["id"]) == ("therapist", "Yes", True)
    assert await receive(therapist) == reply


async def test_chat_since_replays_exactly_the_missed_messages_in_order(personas, open_socket):
    appointment = await arrived(personas)
    therapist, patient = await in_call(open_socket, appointment, personas)
    await patient.send_json_to({"type": "chat", "client_id": str(uuid.uuid4()), "body": "one"})
    seen = await receive(therapist)
    await therapist.disconnect()
    await receive_until(patient, "peer")
    for body in ("two", "three"):
        await patient.send_json_to({"type": "chat", "client_id": str(uuid.uuid4()), "body": body})
    await drain(patient)
    therapist = await member(open_socket, call_path(appointment), personas.therapist)
    assert (await receive(therapist))["peer_present"] is True
    await therapist.send_json_to({"type": "chat_since", "after": seen["id"]})
    replayed = [await receive(therapist), await receive(therapist)]
    assert [frame["body"] for frame in replayed] == ["two", "three"]
    assert replayed[0]["id"] < replayed[1]["id"]
    assert await therapist.receive_nothing(0.3)
    await therapist.send_json_to({"type": "chat_since", "after": 0})
    assert [(await receive(therapist))["body"] for _ in range(3)] == ["one", "two", "three"]


# Presence


async def test_each_member_learns_whether_the_other_is_there(personas, open_socket):
    appointment = await arrived(personas)
    therapist = await member(open_socket, call_path(appointment), personas.therapist)
    assert await receive(therapist) == {
        "type": "hello",
        "role": "therapist",
        "polite": False,
        "peer_present": False,
    }
    patient = await member(open_socket, call_path(appointment), personas.patient)
    assert await receive(patient) == {
        "type": "hello",
        "role": "patient",
        "polite": True,
        "peer_present": True,
    }
    assert await receive(therapist) == {"type": "peer", "present": True}
    await patient.disconnect()
    assert await receive(therapist) == {"type": "peer", "present": False}
    patient = await member(open_socket, call_path(appointment), personas.patient)
    assert (await receive(patient))["peer_present"] is True
    assert await receive(therapist) == {"type": "peer", "present": True}


async def test_a_second_connection_of_the_same_user_replaces_the_first(personas, open_socket):
    appointment = await arrived(personas)
    therapist, first = await in_call(open_socket, appointment, personas)
    second = await member(open_socket, call_path(appointment), personas.patient)
    assert await receive(first) == {"closed": CLOSE_REPLACED}
    assert (await receive(second))["peer_present"] is True
    assert await receive(therapist) == {"type": "peer", "present": True}
    await first.disconnect()
    assert await therapist.receive_nothing(0.3), (
        "the replaced socket leaving does not make the patient absent"
    )
    await therapist.send_json_to({"type": "signal", "description": {"type": "offer", "sdp": "x"}})
    assert (await receive(second))["description"]["sdp"] == "x"


# Waiting room, lobby, admission, end


async def test_the_lobby_sees_the_patient_arrive_and_leave(personas, open_socket):
    appointment = await booked(personas)
    lobby = await member(open_socket, LOBBY, personas.therapist)
    assert await receive(lobby) == {"type": "lobby", "waiting": []}
    other_lobby = await member(open_socket, LOBBY, personas.other_therapist)
    assert await receive(other_lobby) == {"type": "lobby", "waiting": []}
    waiting = await member(open_socket, waiting_path(appointment), personas.patient)
    assert await receive(waiting) == {"type": "waiting"}
    entry = await receive(lobby)
    assert entry["type"] == "arrived" and entry["appointment"] == str(appointment.pk)
    assert entry["patient"] == "Paula Tient" and entry["since"]
    assert entry["admit_url"] == reverse("admit_patient", args=[appointment.pk])
    assert entry["appointment_url"] == reverse("appointment_detail", args=[appointment.pk])
    assert entry["start"] == appointment.start.isoformat()
    late_lobby = await member(open_socket, LOBBY, personas.therapist)
    assert await receive(late_lobby) == {
        "type": "lobby",
        "waiting": [{k: v for k, v in entry.items() if k != "type"}],
    }
    await waiting.disconnect(timeout=TIMEOUT)
    assert await receive(lobby) == {"type": "left", "appointment": str(appointment.pk)}
    await appointment.arefresh_from_db()
    assert appointment.waiting_since is None
    assert await other_lobby.receive_nothing(0.2), "another therapist's lobby hears nothing"


async def test_admitting_takes_the_waiting_patient_to_the_call(personas, open_socket):
    appointment = await booked(personas)
    lobby = await member(open_socket, LOBBY, personas.therapist)
    await receive(lobby)
    waiting = await member(open_socket, waiting_path(appointment), personas.patient)
    await receive(waiting)
    assert (await receive(lobby))["type"] == "arrived"
    await sync_to_async(actions.admit_patient)(actor=personas.therapist, appointment=appointment)
    assert await receive(waiting) == {"type": "admitted", "url": reverse("video_call", args=[appointment.pk])}
    assert await receive(lobby) == {"type": "left", "appointment": str(appointment.pk)}
    await waiting.disconnect(timeout=TIMEOUT)
    assert await lobby.receive_nothing(0.3)
    await appointment.arefresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED


async def test_a_second_waiting_room_tab_replaces_the_first_and_the_patient_keeps_waiting(
    personas, open_socket
):
    appointment = await booked(personas)
    first = await member(open_socket, waiting_path(appointment), personas.patient)
    await receive(first)
    second = await member(open_socket, waiting_path(appointment), personas.patient)
    await receive(second)
    assert await receive(first) == {"closed": CLOSE_REPLACED}
    await first.disconnect(timeout=TIMEOUT)
    await appointment.arefresh_from_db()
    assert appointment.waiting_since is not None


async def test_a_cancelled_appointment_tells_the_waiting_patient_and_the_lobby(personas, open_socket):
    appointment = await booked(personas)
    lobby = await member(open_socket, LOBBY, personas.therapist)
    await receive(lobby)
    waiting = await member(open_socket, waiting_path(appointment), personas.patient)
    await receive(waiting)
    assert (await receive(lobby))["type"] == "arrived"
    await sync_to_async(booking.cancel_appointment)(
        actor=personas.therapist, appointment=appointment, reason="ill"
    )
    assert await receive(waiting) == {"type": "cancelled"}
    assert await receive(lobby) == {"type": "left", "appointment": str(appointment.pk)}


async def test_ending_the_session_sends_each_member_on_their_way(personas, open_socket):
    appointment = await arrived(personas)
    therapist, patient = await in_call(open_socket, appointment, personas)
    await sync_to_async(actions.end_session)(actor=personas.therapist, appointment=appointment)
    note = reverse("session_note", args=[appointment.course_id, appointment.encounter_id])
    assert await receive(therapist) == {"type": "ended", "url": note}
    assert await receive(patient) == {"type": "ended", "url": reverse("my_appointments")}
    _, accepted, _ = await open_socket(call_path(appointment), personas.patient)
    assert not accepted, "a fulfilled appointment's call is closed"


async def test_a_burst_of_ice_candidates_is_relayed_in_full(personas, open_socket):
    appointment = await arrived(personas)
    therapist, patient = await in_call(open_socket, appointment, personas)
    for index in range(150):
        await patient.send_json_to({"type": "signal", "candidate": {"candidate": f"c{index}", "sdpMid": "0"}})
    relayed = [(await receive(therapist))["candidate"]["candidate"] for _ in range(150)]
    assert relayed == [f"c{index}" for index in range(150)]


async def test_the_lobby_survives_a_notification_for_its_user(personas, open_socket):
    # A message to the therapist wakes every socket in their user group; the lobby has no use for it.
    lobby = await member(open_socket, LOBBY, personas.therapist)
    assert await receive(lobby) == {"type": "lobby", "waiting": []}
    await get_channel_layer().group_send(
        user_group(personas.therapist.pk), {"type": "notify", "kind": "message"}
    )
    await lobby.send_json_to({"type": "ping", "id": 7})
    assert await receive(lobby) == {"type": "pong", "id": 7}
