"""Base for every websocket consumer: who may connect, typed frames, flood control, logoff.

The database is the source of truth; the channel layer only wakes clients up.
"""

import asyncio
import hashlib
import json
import time
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django_otp import DEVICE_ID_SESSION_KEY
from pydantic import BaseModel, TypeAdapter, ValidationError

from ipt.accounts import sessions
from ipt.accounts.session_store import SessionStore
from ipt.accounts.ws_auth import token_is_live

CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429
SESSION_CHECK_INTERVAL = 30.0
MAX_FRAME_BYTES = 64 * 1024


def session_group(session_key: str) -> str:
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_group(user_id) -> str:
    return f"user.{user_id}"


class TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate, self.capacity, self.tokens = rate, burst, float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class SecureConsumer(AsyncWebsocketConsumer):
    """Subclasses set ``incoming`` (a pydantic union on ``type``) and override ``authorize``."""

    incoming: ClassVar[Any] = None
    rate_per_second: ClassVar[float] = 10.0
    burst: ClassVar[int] = 30
    max_dropped: ClassVar[int] = 50
    closed = False

    async def connect(self):
        self.user = self.scope.get("user")
        self.groups_joined: list[str] = []
        if not await self._identity_is_valid():
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        if not await self.authorize():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.bucket = TokenBucket(self.rate_per_second, self.burst)
        self.dropped = 0
        self.adapter = TypeAdapter(self.incoming) if self.incoming is not None else None
        await self.join(user_group(self.user.pk))
        session_key = self._session_key()
        if session_key:
            await self.join(session_group(session_key))
        await self.accept()
        self.watchdog = asyncio.create_task(self._watch_session())
        await self.on_connect()

    async def disconnect(self, code):
        watchdog = getattr(self, "watchdog", None)
        if watchdog:
            watchdog.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "bucket", None) is not None:
            await self.on_disconnect()

    async def dispatch(self, message):
        # Channels' dispatch first hops to a thread to close stale database connections, for
        # every frame and event. Our handlers reach the database only through
        # database_sync_to_async, which does that itself around each call: skip the hop (P5).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        if not self.bucket.take():
            self.dropped += 1
            if self.dropped > self.max_dropped:
                await self.close(code=CLOSE_FLOOD)
            return
        message = self._parse(text_data)
        if message is None:
            await self.send_json({"type": "error", "detail": "Malformed or unknown message; ignored."})
            return
        await self.handle(message)

    def _parse(self, text_data) -> BaseModel | None:
        if self.adapter is None or not text_data or len(text_data) > MAX_FRAME_BYTES:
            return None
        try:
            # One pass: pydantic parses and validates the JSON (json.loads then validating the
            # dicts parsed everything twice).
            return self.adapter.validate_json(text_data)
        except (ValueError, ValidationError):
            return None

    async def send_json(self, content: dict) -> None:
        if not self.closed:
            await self.send(text_data=json.dumps(content))

    async def close(self, code=None, reason=None):
        # Close once. Frames already in flight, group events, the watchdog and a logout may all
        # come after we close; a second message after websocket.close makes the server (uvicorn)
        # raise, which kills the consumer before disconnect() can leave its groups.
        if self.closed:
            return
        self.closed = True
        await super().close(code=code, reason=reason)

    async def session_ended(self, event):
        await self.close(code=CLOSE_UNAUTHORISED)

    async def notify(self, event):
        """Every socket joins the user's group, where notifications for their feed go: not news
        here (NotificationConsumer overrides this)."""

    # Hooks
    async def authorize(self) -> bool:
        return True

    async def handle(self, message: Any) -> None:
        """One parsed frame: an instance of one of the models in ``incoming``."""
        raise NotImplementedError

    async def on_connect(self) -> None:
        pass

    async def on_disconnect(self) -> None:
        pass

    # Identity and session
    def _session_key(self) -> str | None:
        if self.scope.get("auth_kind") == "token":
            return None
        session = self.scope.get("session")
        return session.session_key if session is not None else None

    async def _identity_is_valid(self) -> bool:
        user = self.user
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if self.scope.get("auth_kind") == "token":
            return await database_sync_to_async(token_is_live)(self.scope["token_hash"])
        # The session middleware has just read this session from the database to find the user
        # (a deleted or expired row gives no user): judge what it read, without reading it again.
        session = self.scope.get("session")
        return session is not None and self._session_allows(session)

    def _still_signed_in(self) -> bool:
        """Read again from the database: for the watchdog of an open socket."""
        if self.scope.get("auth_kind") == "token":
            return token_is_live(self.scope["token_hash"])
        key = self._session_key()
        if not key:
            return False
        store = SessionStore(session_key=key)
        store.load()  # one query; a missing or expired row leaves the store without a key
        return self._session_allows(store)

    def _session_allows(self, store) -> bool:
        """A loaded session: still there, not idle or too old, past TOTP for staff."""
        if not store.session_key or store.session_key != self._session_key():
            return False
        if sessions.expiry_reason(store, self.user):
            return False
        return not (self.user.is_staff_role and not store.get(DEVICE_ID_SESSION_KEY))

    async def _watch_session(self) -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_INTERVAL)
            if not await database_sync_to_async(self._still_signed_in)():
                await self.close(code=CLOSE_UNAUTHORISED)
                return
