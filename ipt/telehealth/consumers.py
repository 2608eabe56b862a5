"""Websockets of a video session: the therapist's lobby, the patient's waiting room, the call.

The protocol is in the issue-5 brief (and docs): every frame is a JSON object with a ``type``.
Signals are relayed to the other member only, without touching the database. Presence goes
through the channel layer, never this process's memory, so the two members may be on two
server processes (Redis channel layer):

- a member who connects sends ``telehealth.join`` (its channel) to the call group;
- the other member answers straight to that channel with ``telehealth.here`` and tells its page
  ``peer present``; the newcomer's ``hello`` says whether an answer came (it waits at most
  ``HELLO_WAIT`` seconds for one);
- the same user's older socket hears the join and closes itself with 4409;
- on disconnect ``telehealth.leave`` tells the other member (if it was the socket it knew).

Relay (P5): each member knows the other's channel from presence. A signal goes

- straight to the other consumer when it lives in this process (no channel layer, no thread hop);
- with Redis, to a consumer in another process through that process's pub/sub topic
  (``SignalRelay``: one writer pipelining PUBLISH, one reader per process). channels_redis's
  per-consumer receive passes only tens of messages a second with hundreds of sockets in a
  process, so signals do not take it;
- without Redis (or before the peer is known), through the channel layer.

Order is kept: the direct path is used only once the receiver has said hello and has no earlier
signal still queued in the layer, and a signal that arrives before the receiver's hello waits for
it. Frames and events skip Channels' per-message ``close_old_connections`` thread hop
(SecureConsumer.dispatch): signals touch no database, and chat reaches it only through
``database_sync_to_async``, which does that itself.
"""

import asyncio
import logging
import uuid
import weakref
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from pydantic import UUID4, BaseModel, Field, model_validator

from ipt.accounts.models import Role
from ipt.accounts.realtime import SecureConsumer
from ipt.scheduling import access
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth import actions, events
from ipt.telehealth.readiness import missing_before_joining

logger = logging.getLogger(__name__)

CLOSE_REPLACED = 4409
# How long a newcomer waits for the other member's answer before saying hello without them.
HELLO_WAIT = 0.25
# Signals in flight to the channel layer at once, per process: channels_redis's connection pool
# (100 by default) raises, rather than waits, when a burst from many sockets takes them all.
MAX_LAYER_SENDS = 50
# Signals waiting to go to other processes (per process), and how many go in one round trip.
OUTBOX_SIZE = 20_000
OUTBOX_BATCH = 500


class Ping(BaseModel):
    type: Literal["ping"]
    id: int | None = None


class Signal(BaseModel):
    """An SDP description, or an ICE candidate (null: end of candidates). Relayed as sent."""

    type: Literal["signal"]
    description: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_of_them(self):
        given = self.model_fields_set & {"description", "candidate"}
        if len(given) != 1 or ("description" in given and self.description is None):
            raise ValueError("A signal carries either a description or a candidate.")
        return self


class Chat(BaseModel):
    type: Literal["chat"]
    client_id: UUID4
    body: str = Field(max_length=4000)


class ChatSince(BaseModel):
    type: Literal["chat_since"]
    after: int = Field(ge=0)


def _error(detail: str) -> dict:
    return {"type": "error", "detail": detail}


class AppointmentConsumer(SecureConsumer):
    """A socket of one appointment, open to its members only (a supervisor may read, not join)."""

    role_required: str | None = None

    async def authorize(self) -> bool:
        appointment_id = self.scope["url_route"]["kwargs"]["appointment_id"]
        return await database_sync_to_async(self._load)(appointment_id)

    def _load(self, appointment_id) -> bool:
        try:
            appointment = access.get_appointment_for(self.user, appointment_id)
        except Http404:
            return False
        if not access.is_member(self.user, appointment):
            return False
        self.appointment: Appointment = appointment
        self.role = "therapist" if self.user.pk == appointment.therapist_id else "patient"
        if self.role_required and self.role != self.role_required:
            return False
        return self.may_join(appointment)

    def may_join(self, appointment: Appointment) -> bool:
        raise NotImplementedError

    async def _replace_older_sockets(self, group: str) -> None:
        """A second socket of the same user replaces the first (which closes with 4409)."""
        await self.channel_layer.group_send(
            group, {"type": "telehealth.join", "user": str(self.user.pk), "channel": self.channel_name}
        )

    async def handle_join_of_same_user(self, event) -> bool:
        """True if this socket was replaced by the event's newer socket of the same user."""
        if event["user"] == str(self.user.pk) and event["channel"] != self.channel_name:
            self.replaced = True
            await self.close(code=CLOSE_REPLACED)
            return True
        return False

    replaced = False


class LobbyConsumer(SecureConsumer):
    """ws/waiting-room/: a therapist's own waiting patients, live."""

    incoming = Annotated[Ping, Field(discriminator="type")]

    async def authorize(self) -> bool:
        return self.user.role == Role.THERAPIST

    async def on_connect(self) -> None:
        await self.join(events.lobby_group(self.user.pk))
        waiting = await database_sync_to_async(self._waiting)()
        await self.send_json({"type": "lobby", "waiting": waiting})

    def _waiting(self) -> list[dict]:
        appointments = access.appointments_for(self.user).filter(
            therapist=self.user, status=AppointmentStatus.BOOKED, waiting_since__isnull=False
        )
        return [events.lobby_entry(appointment) for appointment in appointments.order_by("start")]

    async def handle(self, message: Ping) -> None:
        await self.send_json({"type": "pong", "id": message.id})

    async def telehealth_arrived(self, event) -> None:
        await self.send_json({"type": "arrived", **event["entry"]})

    async def telehealth_left(self, event) -> None:
        await self.send_json({"type": "left", "appointment": event["appointment"]})


class WaitingRoomConsumer(AppointmentConsumer):
    """ws/appointments/<id>/waiting/: the patient waits to be admitted."""

    incoming = Annotated[Ping, Field(discriminator="type")]
    role_required = "patient"

    def may_join(self, appointment: Appointment) -> bool:
        return (
            appointment.status == AppointmentStatus.BOOKED
            and actions.call_window_open(appointment)
            and not missing_before_joining(appointment)
        )

    async def on_connect(self) -> None:
        group = events.waiting_group(self.appointment.pk)
        await self.join(group)
        await self._replace_older_sockets(group)
        await self.send_json({"type": "waiting"})
        await database_sync_to_async(actions.set_waiting)(self.appointment, True)

    async def on_disconnect(self) -> None:
        if not self.replaced:
            await database_sync_to_async(actions.set_waiting)(self.appointment, False)

    async def handle(self, message: Ping) -> None:
        await self.send_json({"type": "pong", "id": message.id})

    async def telehealth_join(self, event) -> None:
        await self.handle_join_of_same_user(event)

    async def telehealth_admitted(self, event) -> None:
        await self.send_json({"type": "admitted", "url": event["url"]})

    async def telehealth_cancelled(self, event) -> None:
        await self.send_json({"type": "cancelled"})


class CallConsumer(AppointmentConsumer):
    """ws/appointments/<id>/call/: signaling, chat and presence between the two members."""

    incoming = Annotated[Signal | Chat | ChatSince | Ping, Field(discriminator="type")]
    # Trickled ICE candidates come in bursts.
    rate_per_second = 50.0
    burst = 200

    peer_channel: str | None = None
    peer_relay: str | None = None
    hello_sent = False
    # Signals sent to this consumer through the layer and not yet passed on (same process only).
    queued_signals = 0

    def may_join(self, appointment: Appointment) -> bool:
        return appointment.status == AppointmentStatus.ARRIVED and actions.call_window_open(appointment)

    async def on_connect(self) -> None:
        LOCAL_CALLS[self.channel_name] = self
        self.early_signals: list[str] = []
        self.relay = await SignalRelay.for_this_process()
        self.group = events.call_group(self.appointment.pk)
        await self.join(self.group)
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "telehealth.join",
                "user": str(self.user.pk),
                "role": self.role,
                "channel": self.channel_name,
                "relay": self.relay.id if self.relay else None,
            },
        )
        self.hello_timer = asyncio.get_running_loop().call_later(HELLO_WAIT, self._hello_without_answer)

    def _hello_without_answer(self) -> None:
        # Keep a reference: the loop holds tasks only weakly.
        self.hello_task = asyncio.ensure_future(self._say_hello())

    async def _say_hello(self) -> None:
        if self.hello_sent:
            return
        self.hello_sent = True
        await self.send_json(
            {
                "type": "hello",
                "role": self.role,
                "polite": self.role == "patient",
                "peer_present": self.peer_channel is not None,
            }
        )
        early, self.early_signals = self.early_signals, []
        for text in early:
            await self.pass_on(text)

    async def on_disconnect(self) -> None:
        LOCAL_CALLS.pop(self.channel_name, None)
        timer = getattr(self, "hello_timer", None)
        if timer is not None:
            timer.cancel()
        await self.channel_layer.group_send(
            self.group, {"type": "telehealth.leave", "user": str(self.user.pk), "channel": self.channel_name}
        )

    # Frames from the page

    async def handle(self, message) -> None:
        if isinstance(message, Signal):
            await self._relay(message)
        elif isinstance(message, Chat):
            await self._chat(message)
        elif isinstance(message, ChatSince):
            await self._chat_since(message.after)
        else:
            await self.send_json({"type": "pong", "id": message.id})

    async def receive(self, text_data=None, bytes_data=None):
        self.raw_frame = text_data  # a valid signal is relayed exactly as it came
        await super().receive(text_data=text_data, bytes_data=bytes_data)

    async def _relay(self, message: Signal) -> None:
        text = self.raw_frame
        if self.peer_channel is None:
            # Nobody to talk to (or not known yet): whoever is in the room, except this socket.
            await self.channel_layer.group_send(
                self.group, {"type": "telehealth.signal", "sender": self.channel_name, "text": text}
            )
            return
        peer = LOCAL_CALLS.get(self.peer_channel)
        if peer is not None and peer.hello_sent and not peer.queued_signals:
            await peer.pass_on(text)
            return
        if peer is None and self.relay is not None and self.peer_relay:
            if not self.relay.publish(self.peer_relay, self.peer_channel, text):
                await self.send_json(_error("The other side is not keeping up; this signal was dropped."))
            return
        if peer is not None:
            peer.queued_signals += 1  # before sending: the peer may take it before send() returns
        try:
            async with layer_sends():
                await self.channel_layer.send(
                    self.peer_channel,
                    {"type": "telehealth.signal", "sender": self.channel_name, "text": text},
                )
        except ChannelFull:
            if peer is not None:
                peer.queued_signals -= 1
            await self.send_json(_error("The other side is not keeping up; this signal was dropped."))

    async def pass_on(self, text: str) -> None:
        if not self.hello_sent:
            self.early_signals.append(text)
        elif not self.closed:
            await self.send(text_data=text)

    async def _chat(self, message: Chat) -> None:
        try:
            stored, created = await database_sync_to_async(actions.store_chat_message)(
                sender=self.user, appointment=self.appointment, client_id=message.client_id, body=message.body
            )
        except (ValidationError, PermissionDenied) as error:
            await self.send_json(_error(" ".join(getattr(error, "messages", [str(error)]))))
            return
        if not created:
            # A resend: stored once already (and broadcast then); confirm it to this page only.
            frame = await database_sync_to_async(events.chat_frame)(stored, self.appointment)
            await self.send_json(frame)

    async def _chat_since(self, after: int) -> None:
        frames = await database_sync_to_async(self._frames_after)(after)
        for frame in frames:
            await self.send_json(frame)

    def _frames_after(self, after: int) -> list[dict]:
        self.appointment.refresh_from_db(fields=["encounter"])
        messages = actions.chat_messages_after(self.appointment, after, self.user)
        return [events.chat_frame(message, self.appointment) for message in messages]

    # Events from the channel layer

    async def telehealth_join(self, event) -> None:
        if event["channel"] == self.channel_name or await self.handle_join_of_same_user(event):
            return
        self.peer_channel, self.peer_relay = event["channel"], event.get("relay")
        try:
            await self.channel_layer.send(
                event["channel"],
                {
                    "type": "telehealth.here",
                    "user": str(self.user.pk),
                    "channel": self.channel_name,
                    "relay": self.relay.id if self.relay else None,
                },
            )
        except ChannelFull:
            # The newcomer's process has a full inbox (many sockets joining at once): it says
            # hello after HELLO_WAIT without us, and its signals reach us through the group.
            logger.warning("A call's presence answer was dropped: the channel layer is full")
        if self.hello_sent:
            await self.send_json({"type": "peer", "present": True})

    async def telehealth_here(self, event) -> None:
        first = self.peer_channel is None
        self.peer_channel, self.peer_relay = event["channel"], event.get("relay")
        if not self.hello_sent:
            self.hello_timer.cancel()
            await self._say_hello()
        elif first:
            await self.send_json({"type": "peer", "present": True})

    async def telehealth_leave(self, event) -> None:
        if event["channel"] != self.peer_channel:
            return  # our own, or a replaced socket of the peer
        self.peer_channel = None
        if self.hello_sent:
            await self.send_json({"type": "peer", "present": False})

    async def telehealth_signal(self, event) -> None:
        if event["sender"] == self.channel_name:
            return
        if self.queued_signals:
            self.queued_signals -= 1
        await self.pass_on(event["text"])

    async def telehealth_chat(self, event) -> None:
        await self.send_json(event["frame"])

    async def telehealth_ended(self, event) -> None:
        await self.send_json({"type": "ended", "url": event["urls"][self.role]})


# The call consumers of this process by channel name: the direct relay path.
LOCAL_CALLS: "weakref.WeakValueDictionary[str, CallConsumer]" = weakref.WeakValueDictionary()

_layer_sends: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


def layer_sends() -> asyncio.Semaphore:
    """This event loop's limit on concurrent signal sends through the channel layer."""
    loop = asyncio.get_running_loop()
    if loop not in _layer_sends:
        _layer_sends[loop] = asyncio.Semaphore(MAX_LAYER_SENDS)
    return _layer_sends[loop]


class SignalRelay:
    """Signals between server processes: one Redis pub/sub channel per process, one reader.

    A message is "<receiver's channel name>\n<frame text>", published to the receiving process's
    topic and passed straight to that consumer's socket. Messages from one sender arrive in order.
    """

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future]" = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, url: str, prefix: str):
        import redis.asyncio as redis

        self.id = uuid.uuid4().hex
        self.prefix = prefix
        # No socket timeout: the reader waits for messages as long as the process lives.
        self.client = redis.Redis.from_url(url, socket_timeout=None)

    def topic(self, relay_id: str) -> str:
        return f"{self.prefix}:signal-relay:{relay_id}"

    @classmethod
    async def for_this_process(cls) -> "SignalRelay | None":
        """The relay of this event loop (started on first use); None without Redis."""
        if not settings.REDIS_URL:
            return None
        loop = asyncio.get_running_loop()
        started = cls._by_loop.get(loop)
        if started is None:
            started = cls._by_loop[loop] = loop.create_future()
            layer: Mapping[str, Any] = settings.CHANNEL_LAYERS["default"]
            config = layer.get("CONFIG", {})
            relay = cls(settings.REDIS_URL, config.get("prefix", "asgi"))
            try:
                await relay.start()
            except BaseException as error:
                # Cancelled too (its socket timed out): a future left pending would hold every
                # later call socket of this loop in on_connect for good.
                del cls._by_loop[loop]
                failure = error if isinstance(error, Exception) else ConnectionError("relay start cancelled")
                started.set_exception(failure)
                started.exception()  # retrieved: no "never retrieved" warning when nobody waits
                raise
            started.set_result(relay)
        return await asyncio.shield(started)

    async def start(self) -> None:
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await self.pubsub.subscribe(self.topic(self.id))
        self.outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self.reader = asyncio.ensure_future(self._read())
        self.writer = asyncio.ensure_future(self._write())

    async def _read(self) -> None:
        while True:
            try:
                async for message in self.pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    channel, _, text = message["data"].decode().partition("\n")
                    consumer = LOCAL_CALLS.get(channel)
                    if consumer is not None:
                        try:
                            await consumer.pass_on(text)
                        except Exception:  # that socket just went away
                            logger.debug("A relayed signal found its socket closed", exc_info=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("The signal relay lost Redis; resubscribing")
                await asyncio.sleep(1)
                try:
                    await self.pubsub.subscribe(self.topic(self.id))
                except Exception:
                    logger.exception("The signal relay could not resubscribe")

    def publish(self, relay_id: str, channel: str, text: str) -> bool:
        """Queue a signal for another process (False: the queue is full, the signal dropped)."""
        try:
            self.outbox.put_nowait((self.topic(relay_id), f"{channel}\n{text}"))
        except asyncio.QueueFull:
            return False
        return True

    async def _write(self) -> None:
        """One writer: signals leave in order, many per round trip (a pipeline of PUBLISH)."""
        while True:
            batch = [await self.outbox.get()]
            while not self.outbox.empty() and len(batch) < OUTBOX_BATCH:
                batch.append(self.outbox.get_nowait())
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for topic, data in batch:
                        pipe.publish(topic, data)
                    await pipe.execute()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Could not relay %d signals through Redis", len(batch))
                await asyncio.sleep(0.1)
