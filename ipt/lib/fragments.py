"""Rendered fragments kept in the cache under a key made of everything they show.

A page that is read far more often than it changes (the inbox) renders its costly part once per
set of values: the key is a digest of the values the fragment is built from, read by the page's
own query on every view, so a change shows at once in every worker and nothing has to remember to
invalidate it. The URL configuration and script prefix (the fragment's links) are part of the key;
with DEBUG on it is built every time (a template edited under `make run` shows at once). The
fragment is kept encrypted (ipt.lib.crypto): it may hold text that is encrypted at rest (S3), and
Redis may write its memory to disk.
"""

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from redis.exceptions import RedisError

from ipt.lib import crypto

logger = logging.getLogger(__name__)
KEPT_SECONDS = 600  # memory, not correctness: a change of what a fragment shows changes its key


def cache_call(method, *args):
    """A cache that is down (Redis stopped) costs the speed-up, never the page (R5)."""
    try:
        return method(*args)
    except (RedisError, OSError) as error:
        logger.warning("The cache is unavailable (%s); the page is built without it", error)
        return None


def cached_html(values: str, build: Callable[[], str], seconds: int = KEPT_SECONDS) -> SafeString:
    """``build()``'s HTML, rendered once per ``values`` (a repr of everything it shows) and kept
    ``seconds``; ``build`` must render with autoescaping templates."""
    if settings.DEBUG:
        return mark_safe(build())  # noqa: S308 - rendered by build(), autoescaped
    where = f"{get_urlconf()!r}:{settings.ROOT_URLCONF}:{get_script_prefix()}:"
    key = "fragment:" + hashlib.sha256((where + values).encode()).hexdigest()
    token = cache_call(cache.get, key)
    if token is not None:
        try:
            return mark_safe(crypto.decrypt(token))  # noqa: S308 - rendered by build(), autoescaped
        except ImproperlyConfigured:
            pass  # kept under a key since retired: built again below
    html = build()
    cache_call(cache.set, key, crypto.encrypt(html), seconds)
    return mark_safe(html)  # noqa: S308 - rendered by build(), autoescaped
