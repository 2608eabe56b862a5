"""One Redis connection pool per process for Django's cache.

Django keeps its cache backends in an ``asgiref.local.Local`` that follows the context, not the
thread: each request runs Django in a copy of its task's context (``sync_to_async``), so each
request built a new ``RedisCache`` with a new pool, and its first cache read opened a new TCP
connection to Redis (one connection per page view in ``make bench``, issue 7). Django's
``pool_class`` option names the pool class; this one hands every backend of the process the same
pool for the same server and options.
"""

import threading

from redis import ConnectionPool

_shared: dict[str, ConnectionPool] = {}
_shared_lock = threading.Lock()


class ProcessConnectionPool(ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        key = repr((url, sorted(kwargs.items())))
        with _shared_lock:
            pool = _shared.get(key)
            if pool is None:
                pool = _shared[key] = super().from_url(url, **kwargs)
            return pool
