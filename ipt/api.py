"""The JSON API: every app's router under /api/v1/, authenticated unless an operation says not."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from ipt.accounts.api import router as accounts_router
from ipt.accounts.auth import api_auth
from ipt.care.api import router as care_router
from ipt.measures.api import router as measures_router
from ipt.practice.api import router as practice_router
from ipt.scheduling.api import router as scheduling_router
from ipt.visits.api import router as visits_router

api = NinjaAPI(
    title="IPT Online API",
    version="1",
    description="IPT Online. Auth: session cookie, or `Authorization: Bearer <token>`.",
    auth=api_auth,
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return api.create_response(request, {"detail": exc.messages}, status=400)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "Authentication required."}, status=401)


api.add_router("/", accounts_router)
api.add_router("/", care_router)
api.add_router("/", visits_router)
api.add_router("/", measures_router)
api.add_router("/", scheduling_router)
api.add_router("/", practice_router)
