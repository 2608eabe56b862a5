"""ws/threads/<id>/: one conversation, live (protocol in the issue-6 brief).

The database is the store; this socket only streams it. After ``since`` the socket sends every
message after the client's last id, in id order, then keeps a cursor (the last id it sent) and,
whenever it is woken (``messaging.new`` from the channel layer, or its own send), reads the
messages after that cursor from the database. Wake-ups carry no content and are coalesced: while
a read is running, more wake-ups only ask for one more read. A dropped wake-up loses nothing: the
next one (or the client's next ``since`` after a reconnect) reads from the cursor.

Ids in a thread grow in commit order (``actions.send_message`` locks the thread row), so "after
the cursor" never skips a message that committed late.
"""

import asyncio
import json
import logging
from typing import Annotated, Literal

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from pydantic import BaseModel, Field

from ipt.accounts.realtime import SecureConsumer
from ipt.audit.actions import record
from ipt.messaging import access, actions, events
from ipt.messaging.models import Message, Thread
from ipt.messaging.schemas import message_data

logger = logging.getLogger(__name__)


class Since(BaseModel):
    type: Literal["since"]
    after: int = Field(ge=0)


class Send(BaseModel):
    type: Literal["send"]
    # Checked by actions.send_message, so a bad one is answered with an error naming it.
    client_id: str = Field(max_length=64)
    body: str = Field(max_length=20_000)


class Read(BaseModel):
    type: Literal["read"]
    up_to: int = Field(ge=0)


class Ping(BaseModel):
    type: Literal["ping"]
    id: int | str | None = None


def member_role(thread: Thread, user_id) -> str | None:
    """ "patient" or "therapist" for the two writing members of the thread's care team."""
    for role, pk in (("patient", thread.care_team.patient_id), ("therapist", thread.care_team.therapist_id)):
        if str(pk) == str(user_id):
            return role
    return None


def message_frame(message: Message, viewer) -> dict:
    """A message as the API gives it (ipt.messaging.schemas.message_data), as a JSON frame."""
    return {"type": "message", **json.loads(json.dumps(message_data(message, viewer), cls=DjangoJSONEncoder))}


def _error(detail: str, client_id: str | None = None) -> dict:
    frame = {"type": "error", "detail": detail}
    if client_id is not None:
        frame["client_id"] = client_id
    return frame


def _reason(error: Exception) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error)])


class ThreadConsumer(SecureConsumer):
    """The members of the thread's care team: the patient and therapist write, a supervisor reads."""

    incoming = Annotated[Since | Send | Read | Ping, Field(discriminator="type")]
    # A client that was offline resends its whole outbox at once.
    rate_per_second = 20.0
    burst = 250

    # Stream state: nothing is pushed before the client's first ``since``.
    streaming = False
    cursor = 0
    catching_up = False
    wanted = False
    pump: asyncio.Task | None = None
    # Bumped by every ``since``: a read started before it is stale and is thrown away.
    generation = 0

    async def authorize(self) -> bool:
        thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        return await database_sync_to_async(self._load)(thread_id)

    def _load(self, thread_id) -> bool:
        try:
            self.thread = access.get_thread_for(self.user, thread_id)
        except Http404:
            return False
        self.may_write = access.may_write(self.user, self.thread)
        return True

    async def on_connect(self) -> None:
        await self.join(events.thread_group(self.thread.pk))

    async def on_disconnect(self) -> None:
        if self.pump is not None:
            self.pump.cancel()

    async def handle(self, message) -> None:
        if isinstance(message, Since):
            await self._since(message.after)
        elif isinstance(message, Send):
            await self._send(message)
        elif isinstance(message, Read):
            await self._read(message.up_to)
        else:
            await self.send_json({"type": "pong", "id": message.id})

    # Stream

    async def _since(self, after: int) -> None:
        await database_sync_to_async(self._audit_stream)(after)
        self.generation += 1
        self.cursor = after
        self.catching_up = True
        self.streaming = True
        self._wake()

    def _audit_stream(self, after: int) -> None:
        record(
            actor=self.user,
            action="message.stream",
            target=self.thread,
            patient=self.thread.care_team.patient,
            detail={"after": after},
        )

    def _wake(self) -> None:
        """Ask for a read after the cursor; one pump task at a time does them."""
        if not self.streaming or self.closed:
            return
        self.wanted = True
        if self.pump is None or self.pump.done():
            self.pump = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while self.wanted and not self.closed:
                self.wanted = False
                generation, after = self.generation, self.cursor
                frames = await database_sync_to_async(self._frames_after)(after)
                for frame in frames:
                    if generation != self.generation:
                        break
                    await self.send_json(frame)
                    if generation == self.generation:
                        self.cursor = frame["id"]
                if generation != self.generation:
                    self.wanted = True  # a new ``since`` moved the cursor meanwhile: start from it
                    continue
                if len(frames) >= access.PAGE_SIZE:
                    self.wanted = True  # more pages
                elif self.catching_up:
                    self.catching_up = False
                    await self.send_json({"type": "caught_up", "last_id": self.cursor})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Thread stream failed; closing the socket so the client resumes")
            await self.close(code=1011)

    def _frames_after(self, after: int) -> list[dict]:
        messages = access.messages_after(self.user, self.thread, after)
        return [message_frame(message, self.user) for message in messages]

    async def messaging_new(self, event) -> None:
        if event.get("id", 0) > self.cursor:
            self._wake()

    # Writing

    async def _send(self, message: Send) -> None:
        if not self.may_write:
            await self.send_json(
                _error("You can read this conversation but not write in it.", message.client_id)
            )
            return
        try:
            stored, _created = await database_sync_to_async(actions.send_message)(
                sender=self.user, thread=self.thread, client_id=message.client_id, body=message.body
            )
        except (ValidationError, PermissionDenied) as error:
            await self.send_json(_error(_reason(error), message.client_id))
            return
        await self.send_json({"type": "ack", "client_id": message.client_id, "id": stored.id})
        # The sender's own page sees its message even if the layer drops the wake-up.
        if stored.id > self.cursor:
            self._wake()

    async def _read(self, up_to: int) -> None:
        if not self.may_write:
            await self.send_json(_error("A supervisor's reading does not mark messages as read."))
            return
        try:
            await database_sync_to_async(actions.mark_read)(reader=self.user, thread=self.thread, up_to=up_to)
        except (ValidationError, PermissionDenied) as error:
            await self.send_json(_error(_reason(error)))

    async def messaging_read(self, event) -> None:
        if event["user"] == str(self.user.pk):
            return  # the reader's own sockets know
        await self.send_json(
            {
                "type": "read",
                "user": event["user"],
                "role": member_role(self.thread, event["user"]),
                "up_to": event["up_to"],
            }
        )
