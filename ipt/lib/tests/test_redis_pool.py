"""Django's cache keeps one Redis connection pool per process, not one per request."""

import contextvars

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache needs Redis")


def connections_received() -> int:
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return client.info("stats")["total_connections_received"]


def read_in_a_fresh_context() -> None:
    # As a request does: Django's cache handler is context-local, so this builds a new backend.
    contextvars.Context().run(lambda: caches["default"].get("ipt-test-pool-probe"))


def test_cache_reads_in_fresh_contexts_reuse_one_connection():
    read_in_a_fresh_context()
    before = connections_received()
    for _ in range(20):
        read_in_a_fresh_context()
    # Other tests running at the same time may connect too; twenty new connections they do not make.
    assert connections_received() - before < 5
