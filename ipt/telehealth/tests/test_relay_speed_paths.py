"""The short cuts the relay takes for speed (P5, P6) keep the checks they skip the cost of.

- a full channel layer while a member joins costs the presence answer, not the socket;
- a socket is admitted on the session the auth middleware has just read (no second read), and
  a session that ends afterwards still closes it at the next check;
- frames are parsed once, by pydantic, and still refused when they are not valid JSON.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from ipt.accounts import realtime
from ipt.accounts.realtime import CLOSE_UNAUTHORISED
from ipt.telehealth.tests.test_consumers import arrived, call_path, member, receive, receive_until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_full_channel_layer_costs_the_presence_answer_not_the_socket(
    personas, open_socket, monkeypatch, caplog
):
    appointment = await arrived(personas)
    therapist = await member(open_socket, call_path(appointment), personas.therapist)
    assert (await receive(therapist))["type"] == "hello"
    layer_class = type(get_channel_layer())
    layer_send = layer_class.send

    async def full_for_presence_answers(self, channel, message):
        if message.get("type") == "telehealth.here":
            raise ChannelFull()
        return await layer_send(self, channel, message)

    monkeypatch.setattr(layer_class, "send", full_for_presence_answers)
    patient = await member(open_socket, call_path(appointment), personas.patient)
    # The patient hears no answer and says hello alone after HELLO_WAIT; the therapist's socket
    # lives on and knows the patient is there.
    assert await receive(patient) == {
        "type": "hello",
        "role": "patient",
        "polite": True,
        "peer_present": False,
    }
    assert await receive(therapist) == {"type": "peer", "present": True}
    assert "presence answer was dropped" in caplog.text
    # Signals still cross both ways (the patient's through the call group).
    offer = {"type": "signal", "description": {"type": "offer", "sdp": "v=0\r\n"}}
    await therapist.send_json_to(offer)
    assert await receive_until(patient, "signal") == offer
    answer = {"type": "signal", "description": {"type": "answer", "sdp": "v=0\r\n"}}
    await patient.send_json_to(answer)
    assert await receive_until(therapist, "signal") == answer


async def test_a_socket_opened_on_a_live_session_closes_when_the_session_is_deleted(
    personas, open_socket, monkeypatch
):
    """Admission reads the session once (in the auth middleware); the watchdog reads it again."""
    monkeypatch.setattr(realtime, "SESSION_CHECK_INTERVAL", 0.2)
    appointment = await arrived(personas)
    communicator, accepted, _code = await open_socket(call_path(appointment), personas.patient)
    assert accepted
    await sync_to_async(_delete_all_sessions_of)(personas.patient)
    for _ in range(10):
        frame = await receive(communicator)
        if "closed" in frame:
            assert frame["closed"] == CLOSE_UNAUTHORISED
            return
    raise AssertionError("the socket stayed open after its session was deleted")


def _delete_all_sessions_of(user) -> None:
    from ipt.accounts.models import Session

    Session.objects.filter(user=user).delete()


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "signal", "candidate": {"candidate": "x"}',
        "not json",
        '{"type": "signal"} trailing',
        "[]",
        "null",
    ],
)
async def test_a_frame_that_is_not_a_json_object_of_a_known_type_is_refused(personas, open_socket, text):
    appointment = await arrived(personas)
    therapist = await member(open_socket, call_path(appointment), personas.therapist)
    assert (await receive(therapist))["type"] == "hello"
    patient = await member(open_socket, call_path(appointment), personas.patient)
    assert (await receive(patient))["type"] == "hello"
    assert await receive(therapist) == {"type": "peer", "present": True}
    await patient.send_to(text_data=text)
    assert (await receive(patient))["type"] == "error"
    assert await therapist.receive_nothing(0.2), "nothing malformed is relayed"
