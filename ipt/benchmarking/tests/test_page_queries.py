"""Counting a page built from the database must not empty anyone else's keys."""

import redis
from django.conf import settings
from django.core.cache import cache

from ipt.benchmarking.page_queries import forget_cached_pages


def test_forgetting_cached_pages_empties_this_cache_only():
    cache.set("page-part", "cached")
    others = {}
    if settings.REDIS_URL:  # a neighbour in the same Redis database: another process's keys
        client = redis.Redis.from_url(settings.REDIS_URL)
        others = {
            f"{cache.key_prefix}-neighbour:1:page-part": b"theirs",
            f"{cache.key_prefix}:asgi:groups": b"channel layer",
        }
        for key, value in others.items():
            client.set(key, value, ex=60)

    forget_cached_pages()

    assert cache.get("page-part") is None
    if others:
        assert {key: client.get(key) for key in others} == others
        client.delete(*others)
