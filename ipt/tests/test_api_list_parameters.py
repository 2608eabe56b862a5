"""S1: the API's sort and filter fields are whitelists.

Every list operation of /api/v1 (a GET whose 200 answer is an array in the served OpenAPI schema,
so a new one is checked without editing this file) is called by every signed-in persona with its
own path ids (its course, its thread), first plainly, then with sort, order and filter parameters
the operation does not declare: Django-style lookups, field names of secret columns, and the ids of
the other care team's records. An undeclared parameter must be ignored (the same status and the
same body, row for row) or refused with 422 saying why; it never changes which rows are visible.
The operation's declared parameters are then given hostile values (the other team's therapist,
junk, out-of-range numbers): a clear 4xx, or a 200 showing nothing of the other team.

Leaks are judged on the body, with the authorization probe's world: the marker texts of the
other team's records and the ids of every row the persona may not see.
"""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from ipt.api import api
from ipt.scheduling.tests.conftest import working_week
from ipt.tests.test_authorization_probe import JUNK, World, world  # noqa: F401 (world: the probe's fixture)

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1"
PERSONAS = ["therapist", "other_therapist", "patient", "other_patient", "supervisor", "admin"]
OWN_TEAM = {
    "therapist": "patient",
    "supervisor": "patient",
    "patient": "patient",
    "other_therapist": "other_patient",
    "other_patient": "other_patient",
    "admin": "patient",  # the admin is on no team: its path ids are the first team's, refused anyway
}


def list_operations() -> list[tuple[str, list[dict]]]:
    """(path template, query parameters) of every GET operation answering with an array."""
    found = []
    for template, path_item in api.get_openapi_schema(path_prefix=PREFIX + "/")["paths"].items():
        operation = path_item.get("get")
        if operation is None:
            continue
        answer = operation["responses"].get(200) or operation["responses"].get("200") or {}
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            found.append((template, query))
    return found


@pytest.fixture(autouse=True)
def open_hours(personas):
    """Both therapists work every day, so the slot lists have rows too."""
    for therapist in (personas.therapist, personas.other_therapist):
        working_week(therapist, weekdays=range(7))


def test_the_schema_has_the_list_operations_this_test_is_about():
    templates = {template for template, _query in list_operations()}
    assert {
        "/api/v1/patients",
        "/api/v1/courses",
        "/api/v1/courses/{course_id}/notes",
        "/api/v1/appointments",
        "/api/v1/appointments/slots",
        "/api/v1/instruments",
    } <= templates


def own_ids(scene: World, persona: str) -> dict[str, str]:
    owner = OWN_TEAM[persona]
    ids = {}
    for pk, label in scene.labels.items():
        kind, _, whose = label.partition(":")
        if whose == owner and kind in ("course", "message-thread", "care_team"):
            ids[{"course": "course_id", "message-thread": "thread_id", "care_team": "care_team_id"}[kind]] = (
                pk
            )
    return ids


def other_team(scene: World, persona: str) -> dict[str, str]:
    """Ids of the other care team's records (the one this persona is not on)."""
    personas = scene.personas
    mine = OWN_TEAM[persona]
    team = personas.other_care_team if mine == "patient" else personas.care_team
    forbidden = scene.forbidden_ids(persona) if persona != "admin" else set()
    course = next((pk for pk in forbidden if scene.labels.get(pk, "").startswith("course:")), scene.random_id)
    return {
        "team": str(team.pk),
        "course": course,
        "patient": str(team.patient_id),
        "therapist": str(team.therapist_id),
        "patient_email": team.patient.email,
    }


def undeclared_queries(scene: World, persona: str) -> dict[str, dict[str, str]]:
    other = other_team(scene, persona)
    return {
        "sort": {
            "ordering": "-referral_reason",
            "sort": "private_notes",
            "sort_by": "-patient__email",
            "order": "desc",
            "order_by": "care_team__referral_reason",
            "orderBy": "id; DROP TABLE accounts_user",
        },
        "filters naming the other team": {
            "care_team": other["team"],
            "care_team_id": other["team"],
            "team": other["team"],
            "course": other["course"],
            "course_id": other["course"],
            "patient": other["patient"],
            "patient_id": other["patient"],
            "therapist_id": other["therapist"],
            "user": other["patient"],
            "owner": other["therapist"],
        },
        "django lookups": {
            "care_team__in": other["team"],
            "patient__email": other["patient_email"],
            "patient__email__contains": "@",
            "id__gt": "0",
            "pk__isnull": "false",
            "care_team__therapist": other["therapist"],
        },
        "widening": {
            "all": "true",
            "scope": "all",
            "include": "all",
            "include_deleted": "true",
            "archived": "true",
            "status": "any",
            "page": "2",
            "page_size": "100000",
            "offset": "-5",
            "fields": "referral_reason,private_notes",
            "expand": "care_team,patient",
        },
        "structured filter": {
            "filter": json.dumps({"care_team": other["team"]}),
            "where": "1=1",
            "q": other["patient_email"],
            "search": "SECRET",
        },
    }


def required_query(persona: str, scene: World, parameters: list[dict]) -> dict[str, str]:
    """Values for the declared parameters an operation requires (the slots' therapist and window)."""
    personas = scene.personas
    team = personas.care_team if OWN_TEAM[persona] == "patient" else personas.other_care_team
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    values = {
        "therapist": str(team.therapist_id),
        "start": start.isoformat(),
        "end": (start + timedelta(days=7)).isoformat(),
    }
    return {p["name"]: values[p["name"]] for p in parameters if p.get("required")}


def hostile_declared_values(scene: World, persona: str, parameter: dict) -> list[str]:
    other = other_team(scene, persona)
    schema = parameter.get("schema", {})
    kinds = {schema.get("type"), schema.get("format")} | {
        option.get(key) for option in schema.get("anyOf", []) for key in ("type", "format")
    }
    values = [JUNK, "", "referral_reason", "-id", "1 OR 1=1"]
    if "uuid" in kinds:
        values += [other["therapist"], other["patient"], other["team"], scene.random_id]
    if "date-time" in kinds or "date" in kinds:
        values += ["2026-13-45T25:61:00Z", "9999-12-31T23:59:59", "0000-01-01T00:00:00Z", "2026-01-01"]
    if "integer" in kinds:
        values += ["-1", "0", "99999999999999999999", "1e3"]
    return values


class Caller:
    def __init__(self, scene: World, persona: str):
        self.scene, self.persona = scene, persona
        self.client = Client(
            raise_request_exception=False, headers={"Authorization": f"Bearer {scene.tokens[persona]}"}
        )
        self.forbidden_ids = scene.forbidden_ids(persona)

    def get(self, path: str, query: dict[str, str]):
        response = self.client.get(f"{path}?{urlencode(query)}" if query else path)
        text = response.content.decode("utf-8", errors="replace")
        leaks = [
            str(marker)
            for marker in self.scene.markers.found_in(text)
            if not self.scene.may_see(self.persona, marker, in_api=True)
        ]
        leaks += [f"id of {self.scene.labels.get(pk, pk)}" for pk in self.forbidden_ids if pk in text]
        return response, text, leaks


def rows(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


@pytest.mark.parametrize("persona", PERSONAS)
def test_undeclared_sort_and_filter_parameters_never_change_the_rows_of_a_list(world, persona):  # noqa: F811
    caller = Caller(world, persona)
    ids = own_ids(world, persona)
    problems: list[str] = []
    checked = 0
    for template, parameters in list_operations():
        path = template.format(**ids)
        required = required_query(persona, world, parameters)
        declared = {p["name"] for p in parameters}
        baseline, baseline_text, leaks = caller.get(path, required)
        problems += [f"{template} (plain): {leak}" for leak in leaks]
        if baseline.status_code >= 500:
            problems.append(f"{template} (plain): {baseline.status_code}")
        for name, extra in undeclared_queries(world, persona).items():
            extra = {key: value for key, value in extra.items() if key not in declared}
            response, text, leaks = caller.get(path, required | extra)
            checked += 1
            where = f"{persona} GET {template} + {name}"
            problems += [f"{where}: {leak}" for leak in leaks]
            if response.status_code == 422:
                if not rows(text) or not isinstance(rows(text), dict) or not rows(text).get("detail"):
                    problems.append(f"{where}: 422 without a detail")
            elif response.status_code != baseline.status_code:
                problems.append(f"{where}: {response.status_code}, plainly {baseline.status_code}")
            elif rows(text) != rows(baseline_text):
                problems.append(
                    f"{where}: the rows changed:\n  plain {baseline_text[:300]}\n  now   {text[:300]}"
                )
    assert checked >= 5 * len(list_operations())
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("persona", PERSONAS)
def test_declared_list_parameters_with_hostile_values_are_refused_or_show_nothing_else(world, persona):  # noqa: F811
    caller = Caller(world, persona)
    ids = own_ids(world, persona)
    problems: list[str] = []
    tried = 0
    for template, parameters in list_operations():
        path = template.format(**ids)
        required = required_query(persona, world, parameters)
        for parameter in parameters:
            for value in hostile_declared_values(world, persona, parameter):
                query = required | {parameter["name"]: value}
                response, text, leaks = caller.get(path, query)
                tried += 1
                where = f"{persona} GET {template}?{parameter['name']}={value!r}"
                problems += [f"{where}: {leak}" for leak in leaks]
                if response.status_code >= 500:
                    problems.append(f"{where}: server error {response.status_code}")
                elif 400 <= response.status_code < 500 and response.status_code != 404:
                    body = rows(text)
                    if not (isinstance(body, dict) and body.get("detail")):
                        problems.append(f"{where}: {response.status_code} without a detail: {text[:200]}")
    assert tried > 0
    assert not problems, "\n".join(problems[:30])
