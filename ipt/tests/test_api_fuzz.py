"""R7: every operation of /api/v1, fuzzed with schemathesis from the served OpenAPI schema.

As a therapist and as a patient (Bearer tokens), each operation gets valid data (positive) and
invalid data (negative), and, where the path names an object, the ids of real objects the user may
see. Every response must be: not a server error, a status code and content type the schema
documents, a body that matches the schema, a rejection of invalid data, and for every rejection a
``detail`` saying what was wrong.

The Django app runs in this process through WSGI (same URLconf, middleware and views as the
uvicorn server; no server to start), inside the test's transaction. The run is bounded for CI:
``API_FUZZ_EXAMPLES`` examples per operation, role and mode (default 8), no shrinking; it takes
well under a minute.
"""

import os
import sys
import uuid
from collections.abc import Callable

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from ipt.accounts.actions import create_api_token
from ipt.telehealth.tests.test_actions import appointment_of

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
ROLES = ["therapist", "patient"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def rejection_says_what_was_wrong(ctx, response, case) -> bool | None:
    """A 4xx answer carries a non-empty ``detail`` (a message, or the list of invalid fields)."""
    if 400 <= response.status_code < 500:
        try:
            detail = response.json().get("detail")
        except (ValueError, AttributeError):
            detail = None
        if not detail:
            raise AssertionError(
                f"{response.status_code} without a `detail` saying what was wrong: {response.text[:300]!r}"
            )
    return None


SERVER_ERRORS: list[str] = []


def _remember_server_error(sender, request=None, **kwargs) -> None:
    kind, error, _ = sys.exc_info()
    if kind is not None:
        SERVER_ERRORS.append(f"{kind.__name__}: {str(error)[:300]}")


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, keeping the test's connection (as django.test.Client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.got_request_exception.connect(_remember_server_error)
    yield get_wsgi_application()
    signals.got_request_exception.disconnect(_remember_server_error)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def known_ids(personas) -> dict[str, str]:
    """Path parameters naming real objects of the therapist and patient personas."""
    appointment = appointment_of(personas)
    ids = {
        "care_team_id": str(personas.care_team.pk),
        "course_id": str(appointment.course_id),
        "appointment_id": str(appointment.pk),
        "code": "PHQ9",
    }
    try:
        from ipt.messaging.actions import start_thread
    except ImportError:  # the messaging app is not there yet
        return ids
    thread = start_thread(
        author=personas.patient,
        care_team=personas.care_team,
        subject="Fuzzing",
        body="A first message.",
        client_id=uuid.uuid4(),
    )
    ids["thread_id"] = str(thread.pk)
    return ids


def _fuzz(operation, mode: GenerationMode, call: Callable, failures: list[str], path_parameters=None) -> int:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
    calls = 0

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        nonlocal calls
        calls += 1
        SERVER_ERRORS.clear()
        # Each call in a savepoint rolled back after it: the calls stay independent, and on
        # PostgreSQL one failed statement does not abort the test's transaction for the next.
        savepoint = transaction.savepoint()
        try:
            response = call(case)
        finally:
            transaction.savepoint_rollback(savepoint)
            transaction.set_rollback(False)
        checks = [*CHECKS, rejection_says_what_was_wrong]
        if mode is GenerationMode.NEGATIVE:
            checks.append(negative_data_rejection)
        try:
            case.validate_response(response, checks=checks)
        except (
            Exception,
            BaseExceptionGroup,
        ) as failure:  # collect every operation's failures, then report them all
            label = f"{mode.value} {case.method} {case.path} -> {response.status_code}"
            if SERVER_ERRORS:
                label += (
                    f" ({SERVER_ERRORS[-1]}; request {case.path_parameters} {case.query} {case.body!r:.200})"
                )
            for problem in getattr(failure, "exceptions", [failure]):
                first_lines = " | ".join(str(problem).strip().splitlines()[:3])
                failures.append(f"{label}: {first_lines[:400]}  body: {response.text[:200]!r}")

    run()
    return calls


@pytest.mark.parametrize("role", ROLES)
def test_every_api_operation_survives_fuzzing(role, personas, known_ids, wsgi_app):
    _, token = create_api_token(actor=None, user=getattr(personas, role), name="fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)

    def call(case):
        return case.call(headers=headers)

    failures: list[str] = []
    operations, calls = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            calls += _fuzz(operation, mode, call, failures)
        names = {parameter.name for parameter in operation.path_parameters}
        if names and names <= known_ids.keys():
            # Real objects, so that the 200 answers (and their bodies) are checked too.
            known = {name: known_ids[name] for name in names}
            calls += _fuzz(operation, GenerationMode.POSITIVE, call, failures, path_parameters=known)

    assert len(operations) >= 20, operations
    assert not failures, f"{len(failures)} failing cases of {calls} calls:\n\n" + "\n\n".join(
        dict.fromkeys(failures)
    )


def test_no_two_api_schemas_share_a_component_name():
    """django-ninja names a schema's OpenAPI component after its class, and a second class of the
    same name silently replaces the first: operations of one app then document another's shape."""
    import ninja

    import ipt.api  # noqa: F401  (imports every router and its schemas)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    seen: dict[str, set[str]] = {}
    for schema in subclasses(ninja.Schema):
        if schema.__module__.startswith("ipt."):
            seen.setdefault(schema.__name__, set()).add(f"{schema.__module__}.{schema.__qualname__}")
    shared = {name: sorted(where) for name, where in seen.items() if len(where) > 1}
    assert not shared, f"schemas sharing a component name: {shared}"
