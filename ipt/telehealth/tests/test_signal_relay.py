"""The signal relay between processes (Redis pub/sub): one per event loop, started on first use."""

import asyncio

import pytest
from django.conf import settings

from ipt.telehealth.consumers import SignalRelay

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the relay exists with Redis only")


def test_a_start_cancelled_half_way_does_not_hold_later_sockets(monkeypatch):
    """A call socket timed out while the relay was starting: the next socket starts it again."""
    real_start = SignalRelay.start
    slow = asyncio.Event()

    async def stuck_start(self):
        await slow.wait()  # never set: Redis does not answer

    async def scenario() -> SignalRelay | None:
        monkeypatch.setattr(SignalRelay, "start", stuck_start)
        first = asyncio.ensure_future(SignalRelay.for_this_process())
        waiting = asyncio.ensure_future(SignalRelay.for_this_process())
        await asyncio.sleep(0.05)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(waiting, 5)  # told at once, not left waiting
        monkeypatch.setattr(SignalRelay, "start", real_start)
        relay = await asyncio.wait_for(SignalRelay.for_this_process(), 5)
        assert relay is await SignalRelay.for_this_process()  # one per loop
        relay.reader.cancel()
        relay.writer.cancel()
        await relay.client.aclose()
        return relay

    assert asyncio.run(scenario()) is not None
