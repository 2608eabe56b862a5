"""The Redis channel layer's receive ends when it is cancelled, whatever the instant."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from redis.asyncio.connection import AbstractConnection

from ipt.lib.channel_layer import RedisChannelLayer

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis channel layer needs Redis")

WAKE_UP = {"type": "wake.up", "n": 1}


def _layer() -> RedisChannelLayer:
    layers: dict[str, dict[str, Any]] = settings.CHANNEL_LAYERS
    config = {**layers["default"]["CONFIG"]}
    config["prefix"] = f"ipt-test-layer-{uuid.uuid4().hex[:8]}"
    layer = RedisChannelLayer(**config)
    layer.brpop_timeout = 1  # an empty pop comes back after a second
    return layer


@pytest.fixture
def cancel_as_next_send_completes(monkeypatch) -> Callable[[asyncio.Task], None]:
    """Cancel a task right after redis-py's next send completes: Python 3.11's wait_for around
    that send then returns the send's result and the cancellation is lost (CPython gh-86296)."""
    original_send = AbstractConnection._send_packed_command
    armed: list[asyncio.Task] = []

    async def send_then_cancel(self, command):
        await original_send(self, command)
        if armed:
            armed.pop().cancel()

    monkeypatch.setattr(AbstractConnection, "_send_packed_command", send_then_cancel)
    return armed.append


def test_a_receive_cancelled_as_its_command_is_sent_still_ends(cancel_as_next_send_completes):
    async def scenario() -> tuple[bool, bool]:
        layer = _layer()
        try:
            channel = await layer.new_channel()
            task = asyncio.ensure_future(layer.receive(channel))
            await asyncio.sleep(0.3)  # in its blocking pop
            cancel_as_next_send_completes(task)  # the send of its next pop
            done, _ = await asyncio.wait({task}, timeout=4 * layer.brpop_timeout + 1)
            if not done:  # cancel it again (this one arrives) so that nothing outlives the test
                task.cancel()
                await asyncio.wait({task}, timeout=2 * layer.brpop_timeout + 1)
            return bool(done), task.cancelled()
        finally:
            await layer.flush()
            await layer.close_pools()

    ended, cancelled = asyncio.run(scenario())
    assert ended, "the receive kept popping after it was cancelled"
    assert cancelled


def test_a_message_popped_by_a_cancelled_receive_comes_with_the_next_one(cancel_as_next_send_completes):
    async def scenario() -> tuple[bool, dict]:
        layer = _layer()
        try:
            channel = await layer.new_channel()
            await layer.send(channel, WAKE_UP)
            first = asyncio.ensure_future(layer.receive(channel))
            cancel_as_next_send_completes(first)  # its first command; its pop then finds the message
            await asyncio.wait({first}, timeout=5)
            return first.cancelled(), await asyncio.wait_for(layer.receive(channel), 5)
        finally:
            await layer.flush()
            await layer.close_pools()

    first_cancelled, received = asyncio.run(scenario())
    assert first_cancelled
    assert received == WAKE_UP
