"""A clean 503 while the database is unreachable (R5), instead of a 500 with a traceback.

Costs nothing while the database is up: no query, no connection of its own. When a request fails
because the database cannot be reached (Django's ``OperationalError`` or ``InterfaceError``,
raised by a view or by the session and authentication middleware reading the session), Django
sends ``got_request_exception`` with the request; the handler below marks the request, and the
middleware, first in MIDDLEWARE, answers the marked request with the 503 page (JSON under /api/)
in place of the 500. ``/healthz`` gives its JSON report instead (without the session).

Recovery: Django closes a connection that had errors at the end of the request, and with
``CONN_HEALTH_CHECKS`` checks a persistent one before reusing it, so the first request after the
database is back gets a fresh connection; ``connect_timeout`` (settings) bounds the wait on a
server that does not answer.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
UNAVAILABLE = (OperationalError, InterfaceError)
MARK = "_ipt_database_unavailable"


def service_unavailable(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": "The service is briefly unavailable. Please try again in a moment."}, status=503
        )
    else:
        # No request context: the context processors would read the session from the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_database_errors(sender, request=None, **kwargs) -> None:
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, UNAVAILABLE):
        setattr(request, MARK, str(error).strip().splitlines()[0] if str(error).strip() else repr(error))


got_request_exception.connect(_mark_database_errors, dispatch_uid="ipt.lib.outage")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        reason = getattr(request, MARK, None)
        if reason is None:
            return response
        logger.warning("Database unavailable during %s: %s", request.path, reason)
        if request.path.startswith("/healthz"):
            from ipt.views import healthz  # the health report itself, without the session

            return healthz(request)
        return service_unavailable(request)
