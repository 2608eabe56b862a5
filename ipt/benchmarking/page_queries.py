"""The SQL of a page built from the database (P1): shared by the query-count tests and make bench.

Some parts of a page are cached (the caseload table, the alert badge: ipt/accounts/caseload.py),
so a page is counted right after this process's cache keys are emptied. Never ``cache.clear()``
on Redis: that is FLUSHDB, and the database it empties also holds the channel layer and the keys
of every other process using it (xdist workers, live servers, a running app).
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext

SCAN_BATCH = 500


def forget_cached_pages() -> None:
    """Delete this cache's own keys (its KEY_PREFIX and version), nothing else."""
    cache = caches["default"]  # the backend itself: django.core.cache.cache is a proxy
    if not isinstance(cache, RedisCache):
        cache.clear()  # in-process (locmem): this process's own
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=cache.make_key("*"), count=SCAN_BATCH))
    for start in range(0, len(keys), SCAN_BATCH):
        client.delete(*keys[start : start + SCAN_BATCH])


def uncached_page_queries(client, path: str):
    """GET ``path`` to warm per-process caches and the session, forget the cached parts, GET it
    again: that response and the SQL it ran."""
    client.get(path)
    forget_cached_pages()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response, [query["sql"] for query in captured.captured_queries]
