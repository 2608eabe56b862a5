"""The JSON API: every app's router under /api/v1/, authenticated unless an operation says not."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from ipt.accounts.api import router as accounts_router
from ipt.accounts.auth import api_auth
from ipt.care.api import router as care_router
from ipt.lib.outage import service_unavailable
from ipt.measures.api import router as measures_router
from ipt.messaging.api import router as messaging_router
from ipt.practice.api import router as practice_router
from ipt.scheduling.api import router as scheduling_router
from ipt.visits.api import router as visits_router

# Answers every operation can give, from the API-wide handlers below and ninja's validation.
API_ERRORS = {
    "400": "Invalid input: `detail` lists what was wrong.",
    "401": "Authentication required.",
    "403": "Not allowed.",
    "404": "Not found (or not visible to you).",
    "422": "Invalid input: `detail` lists each invalid field (`loc`, `msg`).",
    "503": "The service is briefly unavailable (the database is unreachable): retry later.",
}
API_ERROR_SCHEMA = {
    "title": "ApiError",
    "type": "object",
    "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array", "items": {}}]}},
    "required": ["detail"],
}


class IptApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """The schema, with the error answers of the API-wide handlers documented on every operation."""
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["ApiError"] = API_ERROR_SCHEMA
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in API_ERRORS.items():
                    if status not in responses and int(status) not in responses:
                        responses[status] = {"description": description, "content": error}
        return schema


api = IptApi(
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


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    return service_unavailable(request)  # the database is unreachable: 503, not a traceback (R5)


api.add_router("/", accounts_router)
api.add_router("/", care_router)
api.add_router("/", visits_router)
api.add_router("/", measures_router)
api.add_router("/", scheduling_router)
api.add_router("/", practice_router)
api.add_router("/messages", messaging_router)
