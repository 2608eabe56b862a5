"""Is the channel layer (Redis) reachable? Pages say so when live features are paused (R5).

Video calls, live chat and live message delivery go through the channel layer; everything else
(pages, forms, the API) needs only the database. When Redis is down, pages are still served and
``base.html`` shows a notice. The check is a PING with a short timeout, made at most once per
``IPT_LIVE_CHECK_SECONDS`` per process (and only when a page asks), never on every request; it
does not go through the Django cache, which lives in the same Redis.
"""

import logging
import threading
import time
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)


class _State:
    checked_at = float("-inf")
    up = True

    def update(self, *, checked_at: float, up: bool) -> None:
        self.checked_at, self.up = checked_at, up


_lock = threading.Lock()
_state = _State()


def _layer_addresses() -> list[str]:
    config: dict[str, Any] = settings.CHANNEL_LAYERS.get("default", {})
    if config.get("BACKEND") == "channels.layers.InMemoryChannelLayer":
        return []  # the in-memory layer is always there
    addresses = []
    for host in config.get("CONFIG", {}).get("hosts", []):
        address = host.get("address") if isinstance(host, dict) else host
        if isinstance(address, str):
            addresses.append(address)
    return addresses


def _ping(address: str) -> bool:
    timeout = settings.IPT_LIVE_CHECK_TIMEOUT
    client = redis.Redis.from_url(address, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def live_features_up() -> bool:
    """True if the channel layer answers; cached per process for IPT_LIVE_CHECK_SECONDS."""
    now = time.monotonic()
    if now - _state.checked_at < settings.IPT_LIVE_CHECK_SECONDS:
        return _state.up
    if not _lock.acquire(blocking=False):
        return _state.up  # another thread is checking: use the last answer
    try:
        up = all(_ping(address) for address in _layer_addresses())
        if up != _state.up:
            log = logger.info if up else logger.warning
            log(
                "Channel layer %s: live features %s.",
                "back" if up else "unreachable",
                "resume" if up else "paused",
            )
        _state.update(checked_at=time.monotonic(), up=up)
        return up
    finally:
        _lock.release()


def group_send(group: str, event: dict) -> bool:
    """group_send from synchronous code that survives a channel layer that is down or full.

    Channel-layer messages only wake open sockets up (the database is the store), so a lost one
    costs liveness, never data: the request that sent it still succeeds. False if it was lost.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, event)
    except (redis.RedisError, OSError, ChannelFull) as error:
        logger.warning("Channel layer: %s to %s lost (%s).", event.get("type"), group, error)
        if not isinstance(error, ChannelFull):
            _state.update(checked_at=time.monotonic(), up=False)
        return False
    return True


def live_status(request) -> dict:
    """Context processor: ``live_features_paused`` is checked only if a template reads it."""

    def paused() -> bool:
        return bool(request.user.is_authenticated) and not live_features_up()

    return {"live_features_paused": paused}
