"""HTTP through Django; websockets through origin check, session auth, token auth, routes."""

import gc
import os
from importlib import import_module

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipt.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from ipt.lib.http_queue import QueuedASGIHandler  # noqa: E402

# Django's ASGI handler, run on a few long-lived threads per process (see ipt/lib/http_queue.py).
django_http: QueuedASGIHandler | ASGIStaticFilesHandler = QueuedASGIHandler()
if settings.DEBUG:
    # Serve /static/ in development as runserver does; uvicorn (`make run`) serves none itself.
    django_http = ASGIStaticFilesHandler(django_http)

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402

from ipt.accounts.ws_auth import BearerTokenMiddleware, WebsocketSessionMiddleware  # noqa: E402
from ipt.routing import websocket_urlpatterns  # noqa: E402

# Channels' AuthMiddlewareStack, with a read-only session (see WebsocketSessionMiddleware).
application = ProtocolTypeRouter(
    {
        "http": django_http,
        "websocket": AllowedHostsOriginValidator(
            CookieMiddleware(
                WebsocketSessionMiddleware(
                    AuthMiddleware(BearerTokenMiddleware(URLRouter(websocket_urlpatterns)))
                )
            )
        ),
    }
)

# Everything loaded so far lives as long as the process: out of the collector's way. A full
# collection otherwise walked about 190,000 objects each time, stopping the worker and every request
# queued on it for up to 95 ms (issue 7, P2's p95); with them frozen it walks what pages leave.
import_module(settings.ROOT_URLCONF)  # the views, imported now rather than by the first request
gc.freeze()
