"""Authorization probe (quality target S1): every URL, API operation and websocket, as every persona.

Nothing here lists endpoints. Pages come from the URL resolver, API operations from the OpenAPI
schema and websockets from ``ipt.routing``, so a view is probed the day it is added. Path
parameters are filled with the ids of the personas' world (every UUID primary key in it, which
includes every user and care team, plus a random UUID; junk for string parameters), and each
target is read and written: GET, GET with hostile query parameters, POST with junk form data, and
for the API every method the schema lists plus POST, with junk JSON.

Judged on the body, not the status: each care team's referral reason is a secret marker, and a
response (page, JSON or websocket frame) that carries a marker its persona may not see fails,
whatever its status. No response may be a 500. A persona that is not allowed somewhere (anonymous
or a password-only staff session on a page that needs sign-in, a role the view does not declare,
or a URL naming a care team the persona may not see) also sends a plausible payload that would
pass validation, and the database must not change.
"""

import functools
import itertools
import json
import random
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import channels.db
import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django import forms
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from django.utils.regex_helper import normalize
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt import routing
from ipt.accounts import access, actions, sessions
from ipt.accounts.models import Role, User
from ipt.api import api
from ipt.asgi import application
from ipt.conftest import PERSONA_NAMES, Personas, sign_in

# A staff member who typed the password but not yet the TOTP code: sees nothing clinical.
WITHOUT_MFA = "therapist_without_mfa"
PROBED_PERSONAS = [*PERSONA_NAMES, WITHOUT_MFA]

# Whose referral reason (by the patient persona who owns the care team) each persona may read.
# Written out, not derived from access.py: this is the policy that access.py is checked against.
MAY_SEE_REFERRAL_OF: dict[str, set[str]] = {
    "therapist": {"patient"},
    "supervisor": {"patient"},
    "other_therapist": {"other_patient"},
    "patient": {"patient"},  # at most their own
    "other_patient": {"other_patient"},
    "admin": set(),
    "anonymous": set(),
    WITHOUT_MFA: set(),
}
# Positive control: the probe must actually reach these records, or it proves nothing.
MUST_SEE_REFERRAL_OF = {
    "therapist": {"patient"},
    "supervisor": {"patient"},
    "other_therapist": {"other_patient"},
}

JUNK = "probe-junk-'<x>\""  # for parameters that take any text
PLAIN_JUNK = "probe-junk"  # for slugs
INT_VALUES = ["0", "2147483647"]
PROBE_EMAIL = "probe.intruder@example.test"
PROBE_TEXT = "Probe intruder wrote this 9431"  # also a valid password
FORM = "application/x-www-form-urlencoded"
JUNK_FORM = {"probe": JUNK, "email": JUNK, "role": JUNK, "role-role": JUNK, "otp_token": JUNK, "id": JUNK}
JUNK_JSON = {"probe": JUNK, "id": JUNK, "role": "admin", "is_active": "maybe", "referral_reason": 7}
# A URL with several id parameters gets at most this many combinations (a seeded sample).
MAX_COMBINATIONS = 100
WS_GOOD_ORIGIN = b"http://testserver"
WS_QUIET_SECONDS = 0.1  # a socket that stays silent this long has said all it will say
WS_REFUSED_WIND_DOWN_SECONDS = 0.05
# Rows that requests may legitimately touch while changing nothing that matters.
SNAPSHOT_IGNORED_MODELS = {"audit.auditevent", "audit.audithead"}
SNAPSHOT_IGNORED_FIELDS = {"accounts.user.last_login", "accounts.apitoken.last_used_at"}


# The personas' world ---------------------------------------------------------------------------


@dataclass
class World:
    personas: Personas
    random_id: str
    uuid_pool: list[str]
    tokens: dict[str, str]
    labels: dict[str, str]
    plausible_form: dict[str, str]

    def user(self, persona: str) -> User | None:
        return self.personas.therapist if persona == WITHOUT_MFA else self.personas.get(persona)

    def is_signed_in(self, persona: str) -> bool:
        return self.user(persona) is not None and persona != WITHOUT_MFA

    @functools.cached_property
    def referrals(self) -> dict[str, str]:
        """Owner persona -> the secret referral reason of their care team."""
        teams = {"patient": self.personas.care_team, "other_patient": self.personas.other_care_team}
        return {owner: team.referral_reason for owner, team in teams.items()}

    @functools.cached_property
    def team_owner(self) -> dict[str, str]:
        return {
            str(self.personas.care_team.pk): "patient",
            str(self.personas.other_care_team.pk): "other_patient",
        }

    def forbidden_owners(self, persona: str) -> set[str]:
        return set(self.referrals) - MAY_SEE_REFERRAL_OF[persona]

    def forbidden_team_ids(self, persona: str) -> set[str]:
        forbidden = self.forbidden_owners(persona)
        return {team_id for team_id, owner in self.team_owner.items() if owner in forbidden}

    def markers_in(self, text: str) -> set[str]:
        return {owner for owner, reason in self.referrals.items() if any(n in text for n in _needles(reason))}

    def label(self, values: dict[str, str]) -> str:
        return ", ".join(f"{name}={self.labels.get(value, value)}" for name, value in values.items())


def _needles(reason: str) -> tuple[str, ...]:
    """The whole marker, its tag (SECRET-REFERRAL-<owner>) and its clinical words, each a leak."""
    tag, _, words = reason.partition(" ")
    return tuple(needle for needle in (reason, tag, words) if needle)


def _uuid_primary_keys() -> Iterator[tuple[str, str]]:
    for model in apps.get_models():
        if isinstance(model._meta.pk, models.UUIDField):
            for pk in model._base_manager.values_list("pk", flat=True):
                yield str(pk), model._meta.model_name


@pytest.fixture
def world(personas) -> World:
    # An open staff invitation and a token per persona, so those tables hold rows to protect.
    actions.invite_staff(
        actor=personas.admin,
        email="invited.therapist@example.test",
        first_name="Ivy",
        last_name="Invited",
        role=Role.THERAPIST,
        supervisor=personas.supervisor,
    )
    tokens = {}
    for name in PERSONA_NAMES:
        user = personas.get(name)
        tokens[name] = actions.create_api_token(actor=None, user=user)[1] if user else "ipt_probe-junk-token"
    primary_keys = dict(_uuid_primary_keys())
    labels = {pk: f"{kind}:{pk}" for pk, kind in primary_keys.items()}
    for name in PERSONA_NAMES:
        user = personas.get(name)
        if user is not None:
            labels[str(user.pk)] = f"user:{name}"
    labels[str(personas.care_team.pk)] = "care_team:patient"
    labels[str(personas.other_care_team.pk)] = "care_team:other_patient"
    random_id = str(uuid.uuid4())
    labels[random_id] = "random-uuid"
    return World(
        personas=personas,
        random_id=random_id,
        uuid_pool=[*sorted(primary_keys), random_id],
        tokens=tokens,
        labels=labels,
        plausible_form=_plausible_form(),
    )


# Plausible payloads: what would pass validation if the authorization check were missing ---------


def _project_form_classes() -> Iterator[type[forms.BaseForm]]:
    seen: set[type] = set()
    stack = list(forms.BaseForm.__subclasses__())
    while stack:
        form_class = stack.pop()
        if form_class in seen:
            continue
        seen.add(form_class)
        stack.extend(form_class.__subclasses__())
        if form_class.__module__.startswith("ipt."):
            yield form_class


def _plausible_value(form_field: forms.Field) -> str:
    if isinstance(form_field, forms.ModelChoiceField):
        first = form_field.queryset.first()
        return str(first.pk) if first is not None else ""
    if isinstance(form_field, forms.ChoiceField):
        values = [str(value) for value, _ in form_field.choices if value not in ("", None)]
        return values[-1] if values else ""  # the last choice: "admin", "deactivated" ...
    if isinstance(form_field, forms.EmailField):
        return PROBE_EMAIL
    if isinstance(form_field, forms.BooleanField):
        return "on"
    if isinstance(form_field, forms.DateTimeField):
        return timezone.now().strftime("%Y-%m-%d %H:%M")
    if isinstance(form_field, forms.DateField):
        return date.today().isoformat()
    if isinstance(form_field, forms.IntegerField | forms.FloatField | forms.DecimalField):
        return "1"
    if isinstance(form_field, forms.RegexField):
        return next((c for c in ("123456", PROBE_TEXT) if form_field.regex.search(c)), PROBE_TEXT)
    return PROBE_TEXT


def _plausible_form() -> dict[str, str]:
    """One payload with a valid-looking value for every field of every project form.

    Forms shown with a prefix are guessed from their class name (RoleForm -> "role-role").
    """
    get_resolver().url_patterns  # noqa: B018  (imports every view, and so every form)
    payload: dict[str, str] = {}
    for form_class in sorted(_project_form_classes(), key=lambda cls: cls.__qualname__):
        prefix = form_class.__name__.removesuffix("Form").lower()
        for name, form_field in form_class.base_fields.items():
            value = _plausible_value(form_field)
            payload.setdefault(name, value)
            payload.setdefault(f"{prefix}-{name}", value)
    return payload


def _plausible_json(schema: dict | None, components: dict, depth: int = 0) -> Any:
    """A value that matches a JSON schema (as far as simple types go)."""
    if not schema or depth > 6:
        return PROBE_TEXT
    if "$ref" in schema:
        return _plausible_json(components[schema["$ref"].rsplit("/", 1)[-1]], components, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        options = [option for option in schema.get(key, []) if option.get("type") != "null"]
        if options:
            return _plausible_json(options[0], components, depth + 1)
    if "enum" in schema:
        return schema["enum"][-1]
    kind, formats = schema.get("type"), schema.get("format")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _plausible_json(sub, components, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        return [_plausible_json(schema.get("items"), components, depth + 1)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return False
    return {
        "email": PROBE_EMAIL,
        "uuid": str(uuid.uuid4()),
        "date-time": timezone.now().isoformat(),
        "date": date.today().isoformat(),
    }.get(formats, PROBE_TEXT)


# What must never change -----------------------------------------------------------------------


def _snapshot_models() -> Iterator[tuple[type[models.Model], list[models.Field]]]:
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_config.name.startswith("ipt.") and label not in SNAPSHOT_IGNORED_MODELS:
            fields = [
                f for f in model._meta.concrete_fields if f"{label}.{f.name}" not in SNAPSHOT_IGNORED_FIELDS
            ]
            yield model, fields
    yield TOTPDevice, [TOTPDevice._meta.get_field(name) for name in ("id", "user", "key", "confirmed")]


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every project table (audit aside) and the MFA devices: users with their role,
    active flag and password hash, care teams, invitations, API tokens, and whatever apps add."""
    state = {}
    for model, fields in _snapshot_models():
        rows = model._base_manager.order_by("pk")
        state[model._meta.label] = [tuple(f.value_from_object(row) for f in fields) for row in rows]
    return state


def _changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# Discovering targets --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    path: str  # ready for the test client (percent-encoded)
    values: dict[str, str] = field(default_factory=dict)  # each path parameter as filled in
    view: Any = None


def _value_classes(world: World) -> list[list[str]]:
    """What to try, most specific first: text params get junk, UUID params every id."""
    return [[JUNK], [PLAIN_JUNK], world.uuid_pool, INT_VALUES]


def _fill(template: str, names: list[str], matches: Callable[[str], bool], world: World) -> list[dict]:
    """Every way (up to MAX_COMBINATIONS) to fill the template's parameters so the pattern matches."""
    if not names:
        return [{}]
    for classes in itertools.product(_value_classes(world), repeat=len(names)):
        if matches(template % {name: values[0] for name, values in zip(names, classes, strict=True)}):
            break
    else:
        raise AssertionError(f"The probe cannot fill the parameters of {template!r}; teach it how.")
    return _combinations(names, classes)


def _combinations(names: list[str], candidates: Iterable[list[str]]) -> list[dict]:
    combinations = list(itertools.product(*candidates))
    if len(combinations) > MAX_COMBINATIONS:
        combinations = random.Random(0).sample(combinations, MAX_COMBINATIONS)
    return [dict(zip(names, values, strict=True)) for values in combinations]


def _concrete(pattern_chain: Iterable, world: World) -> list[dict]:
    """For a chain of URL patterns (resolver prefixes, then the endpoint): {path, values} dicts."""
    results = [{"path": "", "values": {}}]
    for pattern in pattern_chain:
        template, names = normalize(pattern.regex.pattern)[0]

        def matches(text: str, regex=pattern.regex) -> bool:
            found = regex.match(text)
            return found is not None and found.end() == len(text)

        fillings = _fill(template, names, matches, world)
        results = [
            {"path": done["path"] + template % filling, "values": {**done["values"], **filling}}
            for done in results
            for filling in fillings
        ]
    return results


def _walk(patterns, chain=(), in_api=False) -> Iterator[tuple[tuple, Any, bool]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inside_api = in_api or entry.namespace == api.urls_namespace
            yield from _walk(entry.url_patterns, (*chain, entry.pattern), inside_api)
        else:
            yield (*chain, entry.pattern), entry.callback, in_api


def _is_static(path: str) -> bool:
    prefixes = [str(url or "").strip("/") for url in (settings.STATIC_URL, settings.MEDIA_URL)]
    return any(prefix and f"{path.strip('/')}/".startswith(f"{prefix}/") for prefix in prefixes)


def page_targets(world: World) -> list[Target]:
    """Every URL pattern but the JSON API's (probed from its schema) and static files."""
    targets = []
    for chain, view, in_api in _walk(get_resolver().url_patterns):
        if in_api:
            continue
        for concrete in _concrete(chain, world):
            if not _is_static(concrete["path"]):
                targets.append(Target("/" + quote(concrete["path"]), concrete["values"], view))
    return targets


@dataclass(frozen=True)
class Operation:
    target: Target
    methods: tuple[str, ...]
    public: bool
    request_bodies: dict[str, Any]  # method -> plausible JSON body


def api_operations(world: World) -> list[Operation]:
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for template, path_item in schema["paths"].items():
        listed = {method for method in path_item if method in ("get", "post", "put", "patch", "delete")}
        methods = tuple(sorted(listed | {"get", "post"}))
        public = not any(operation.get("security") for operation in path_item.values())
        bodies = {}
        for method in listed:
            content = path_item[method].get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema")
            if body_schema:
                bodies[method] = _plausible_json(body_schema, components)
        names = re.findall(r"{(\w+)}", template)
        percent_template = re.sub(r"{(\w+)}", r"%(\1)s", template.replace("%", "%%"))
        for filling in _fill_api(percent_template, names, path_item, world):
            path = percent_template % filling
            operations.append(Operation(Target(quote(path), filling), methods, public, bodies))
    return operations


def _fill_api(template: str, names: list[str], path_item: dict, world: World) -> list[dict]:
    parameters = {
        parameter["name"]: parameter.get("schema", {})
        for operation in path_item.values()
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "path"
    }
    per_name = []
    for name in names:
        declared = parameters.get(name, {})
        if declared.get("format") == "uuid":
            per_name.append(world.uuid_pool)
        elif declared.get("type") == "integer":
            per_name.append(INT_VALUES)
        else:
            per_name.append([JUNK])
    return _combinations(names, per_name)


def api_extra_targets(world: World) -> list[Target]:
    """Views inside the API include that are not operations (schema, docs, root)."""
    operation_paths = {re.sub(r"{\w+}", "{}", path) for path in api.get_openapi_schema()["paths"]}
    targets = []
    for chain, view, in_api in _walk(get_resolver().url_patterns):
        if not in_api:
            continue
        for concrete in _concrete(chain, world):
            path = "/" + concrete["path"]
            shape = path
            for value in concrete["values"].values():
                shape = shape.replace(value, "{}")
            if shape not in operation_paths:
                targets.append(Target(quote(path), concrete["values"], view))
    return targets


def websocket_targets(world: World) -> list[Target]:
    def walk(routes, chain=()) -> Iterator[tuple]:
        for route in routes:
            if isinstance(route.callback, URLRouter):
                yield from walk(route.callback.routes, (*chain, route.pattern))
            else:
                yield (*chain, route.pattern), route.callback

    targets = []
    for chain, consumer in walk(routing.websocket_urlpatterns):
        for concrete in _concrete(chain, world):
            targets.append(Target("/" + quote(concrete["path"]), concrete["values"], consumer))
    return targets


# Who is allowed where -------------------------------------------------------------------------


def _names_forbidden_team(world: World, persona: str, values: dict[str, str]) -> bool:
    return bool(world.forbidden_team_ids(persona) & set(values.values()))


def page_is_forbidden(world: World, persona: str, target: Target) -> bool:
    """Whether this persona has no business writing here (so a plausible payload must fail)."""
    if _names_forbidden_team(world, persona, target.values):
        return True
    if getattr(target.view, "login_required", True) is False:
        return False  # public: sign-in pages, password reset, invitations, crisis help
    if not world.is_signed_in(persona):
        return True
    roles = getattr(target.view, "allowed_roles", None)
    return roles is not None and world.user(persona).role not in roles


def operation_is_forbidden(world: World, persona: str, operation: Operation, transport: str) -> bool:
    if _names_forbidden_team(world, persona, operation.target.values):
        return True
    if operation.public:
        return False
    return persona == "anonymous" or (transport == "session" and persona == WITHOUT_MFA)


def websocket_expectation(world: World, persona: str, target: Target, transport: str) -> bool | None:
    """True/False when the rules say whether this connection is accepted; None when they do not."""
    user = world.user(persona)
    if user is None or (persona == WITHOUT_MFA and transport == "session"):
        return False
    if {world.random_id, JUNK, PLAIN_JUNK} & set(target.values.values()):
        return False
    if "care_team_id" in target.values:
        visible = {str(team.pk) for team in access.care_teams_for(user)}
        return target.values["care_team_id"] in visible
    return None


# The probe ------------------------------------------------------------------------------------


class Probe:
    """One persona's client: checks every response and keeps the persona signed in."""

    def __init__(self, world: World, persona: str, transport: str = "session"):
        self.world, self.persona, self.transport = world, persona, transport
        self.problems: list[str] = []  # leaks and writes
        self.server_errors: list[str] = []
        self.seen: set[str] = set()
        self.requests = 0
        self.client = self._new_client()

    def _new_client(self) -> Client:
        user = self.world.user(self.persona)
        if self.transport == "bearer":
            token = self.world.tokens["anonymous" if user is None else self.persona]
            return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token}"})
        client = Client(raise_request_exception=False)
        if self.persona == WITHOUT_MFA:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            session = client.session
            sessions.start(session)
            session.save()
        else:
            sign_in(client, user)
        self.session_key = self._session_key(client)
        return client

    @staticmethod
    def _session_key(client: Client) -> str | None:
        cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
        return cookie.value if cookie is not None else None

    def send(self, method: str, target: Target, note: str = "", query: dict | None = None, **kwargs) -> None:
        path = f"{target.path}?{urlencode(query)}" if query else target.path
        response = self.client.generic(method.upper(), path, **kwargs)
        self.requests += 1
        where = f"{self.persona} ({self.transport}) {method.upper()} {target.path} {note}".rstrip()
        if target.values:
            where += f" [{self.world.label(target.values)}]"
        if response.status_code == 500:
            self.server_errors.append(f"{where}: server error 500")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace") + str(response.headers)
        markers = self.world.markers_in(text)
        self.seen |= markers
        for owner in sorted(markers & self.world.forbidden_owners(self.persona)):
            self.problems.append(
                f"{where}: status {response.status_code}, body carries the referral of {owner}"
            )
        self._stay_signed_in()

    def _stay_signed_in(self) -> None:
        """A probe may sign itself out (POST /logout/); sign in again so the rest is still probed."""
        signed_in = self.transport == "session" and self.world.user(self.persona) is not None
        if signed_in and self._session_key(self.client) != self.session_key:
            self.client = self._new_client()

    def hostile_query(self) -> dict[str, str]:
        """Sort, filter and id parameters aimed at records this persona may not see."""
        forbidden = sorted(self.world.forbidden_team_ids(self.persona)) or [self.world.random_id]
        teams = {str(t.pk): t for t in (self.world.personas.care_team, self.world.personas.other_care_team)}
        patient = str(teams[forbidden[0]].patient_id) if forbidden[0] in teams else self.world.random_id
        query = {"ordering": "referral_reason", "sort": "-referral_reason", "order_by": "referral_reason"}
        query |= {"q": "SECRET-REFERRAL", "search": "SECRET-REFERRAL", "page": "-1", "since": JUNK}
        return query | {"care_team": forbidden[0], "care_team_id": forbidden[0], "patient": patient}


def probe_pages(world: World, persona: str) -> Probe:
    probe = Probe(world, persona)
    before = snapshot()
    for target in page_targets(world):
        probe.send("get", target)
        probe.send("get", target, "with hostile query", query=probe.hostile_query())
        probe.send("post", target, "junk", data=urlencode(JUNK_FORM), content_type=FORM)
        if page_is_forbidden(world, persona, target):
            probe.send("post", target, "plausible", data=urlencode(world.plausible_form), content_type=FORM)
        before = _check_unchanged(probe, before, target)
    return probe


def _check_unchanged(probe: Probe, before: dict, target: Target) -> dict:
    after = snapshot()
    changed = _changed_tables(before, after)
    if changed:
        probe.problems.append(
            f"{probe.persona} ({probe.transport}) junk or forbidden writes to {target.path} "
            f"[{probe.world.label(target.values)}] changed {', '.join(changed)}"
        )
    return after


def probe_api(world: World, persona: str, transport: str) -> Probe:
    probe = Probe(world, persona, transport)
    before = snapshot()
    for operation in api_operations(world):
        target = operation.target
        for method in operation.methods:
            if method == "get":
                probe.send("get", target)
                probe.send("get", target, "with hostile query", query=probe.hostile_query())
                continue
            probe.send(method, target, "junk", data=json.dumps(JUNK_JSON), content_type="application/json")
            body = operation.request_bodies.get(method)
            if body is not None and operation_is_forbidden(world, persona, operation, transport):
                probe.send(
                    method, target, "plausible", data=json.dumps(body), content_type="application/json"
                )
        before = _check_unchanged(probe, before, target)
    for target in api_extra_targets(world):
        probe.send("get", target)
        probe.send("post", target, "junk", data=json.dumps(JUNK_JSON), content_type="application/json")
        before = _check_unchanged(probe, before, target)
    return probe


@dataclass
class SocketResult:
    target: Target
    transport: str
    accepted: bool
    close_code: Any
    frames: list[str]


async def _open_socket(target: Target, headers: list[tuple[bytes, bytes]]) -> SocketResult:
    communicator = WebsocketCommunicator(application, target.path, headers=headers)
    accepted, detail = await communicator.connect()
    frames = []
    try:
        if accepted:
            await communicator.send_json_to({"type": "ping", "id": 1})
            await communicator.send_to(text_data=json.dumps({"type": "probe", "care_team_id": JUNK}))
            while not await communicator.receive_nothing(timeout=WS_QUIET_SECONDS, interval=0.005):
                message = await communicator.receive_output()
                frames.append(json.dumps(message, default=str))
                if message["type"] == "websocket.close":
                    break
    finally:
        # A refused socket is already closed; do not wait the default second for it to wind down.
        await communicator.disconnect(timeout=1 if accepted else WS_REFUSED_WIND_DOWN_SECONDS)
    return SocketResult(target, "", accepted, None if accepted else detail, frames)


def _socket_headers(world: World, persona: str, transport: str, origin: bytes) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", origin)]
    if transport == "bearer":
        token = world.tokens["anonymous" if world.user(persona) is None else persona]
        headers.append((b"authorization", f"Bearer {token}".encode()))
    elif world.user(persona) is not None:
        key = Probe(world, persona).session_key
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
    return headers


def open_sockets(
    world: World, persona: str, transport: str, targets: list[Target], origin: bytes = WS_GOOD_ORIGIN
) -> list[SocketResult]:
    headers = _socket_headers(world, persona, transport, origin)

    async def run_all() -> list[SocketResult]:
        return [await _open_socket(target, headers) for target in targets]

    results = async_to_sync(run_all)()
    for result in results:
        result.transport = transport
    return results


# Tests ----------------------------------------------------------------------------------------


def _report(problems: list[str], limit: int = 40) -> str:
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:limit]) + more


def _assert_clean(probe: Probe) -> None:
    """Leaks and writes first: a 500 is bad, a leak is worse."""
    assert not (probe.problems or probe.server_errors), _report(probe.problems + probe.server_errors)


@pytest.mark.parametrize("persona", PROBED_PERSONAS)
def test_no_page_leaks_errs_or_writes_for(world, persona):
    probe = probe_pages(world, persona)
    assert probe.requests > 0
    _assert_clean(probe)
    missing = MUST_SEE_REFERRAL_OF.get(persona, set()) - probe.seen
    assert not missing, f"{persona} never reached the record of {missing}: the probe is not signed in"


@pytest.mark.parametrize("persona", PROBED_PERSONAS)
def test_no_api_operation_leaks_errs_or_writes_for(world, persona):
    transports = ["session"] if persona == WITHOUT_MFA else ["session", "bearer"]
    for transport in transports:
        probe = probe_api(world, persona, transport)
        _assert_clean(probe)
        missing = MUST_SEE_REFERRAL_OF.get(persona, set()) - probe.seen
        assert not missing, f"{persona} ({transport}) never reached the record of {missing} through the API"


@pytest.fixture
def sockets_in_the_test_transaction(monkeypatch):
    """Let consumers read the personas' world without committing it (a flush costs seconds).

    The probe opens sockets through async_to_sync from the test's thread, so the consumers'
    thread-sensitive database calls run on this thread's connection, inside the test's
    transaction. Channels' database_sync_to_async would first close that connection (on
    PostgreSQL) because it is inside a transaction; only that closing is switched off here.
    """
    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


websocket_db = pytest.mark.usefixtures("sockets_in_the_test_transaction")


@websocket_db
@pytest.mark.parametrize("persona", PROBED_PERSONAS)
def test_websockets_admit_only_whom_the_rules_allow(world, persona):
    targets = websocket_targets(world)
    transports = ["session"] if persona == WITHOUT_MFA else ["session", "bearer"]
    problems = []
    for transport in transports:
        for result in open_sockets(world, persona, transport, targets):
            where = f"{persona} ({transport}) WS {result.target.path} [{world.label(result.target.values)}]"
            expected = websocket_expectation(world, persona, result.target, transport)
            if expected is not None and result.accepted != expected:
                verdict = "accepted" if result.accepted else f"refused ({result.close_code})"
                problems.append(f"{where}: {verdict}, the rules say {'accept' if expected else 'refuse'}")
            for owner in sorted(world.markers_in("".join(result.frames)) & world.forbidden_owners(persona)):
                problems.append(f"{where}: a frame carries the referral of {owner}")
    assert not problems, _report(problems)


# A few facts stated outright, so that the rules above cannot drift along with a broken access.py.


def test_care_teams_for_follows_the_referral_policy(world):
    for persona in PERSONA_NAMES:
        user = world.user(persona)
        if user is None:
            continue
        visible = {world.team_owner[str(team.pk)] for team in access.care_teams_for(user)}
        assert visible <= MAY_SEE_REFERRAL_OF[persona], f"care_teams_for({persona}) gives {visible}"
        assert MUST_SEE_REFERRAL_OF.get(persona, set()) <= visible, (
            f"care_teams_for({persona}) gives {visible}"
        )


def test_admin_cannot_read_any_patient_page(world):
    probe = Probe(world, "admin")
    for team in (world.personas.care_team, world.personas.other_care_team):
        for path in (f"/patients/{team.pk}/", f"/api/v1/patients/{team.pk}"):
            response = probe.client.get(path)
            assert response.status_code in (403, 404), path
            assert not world.markers_in(response.content.decode())


def test_patient_cannot_reach_the_user_list_or_another_patients_record(world):
    client = Probe(world, "patient").client
    assert client.get("/users/").status_code == 403
    other = world.personas.other_care_team.pk
    for path in (f"/patients/{other}/", f"/api/v1/patients/{other}"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert not world.markers_in(response.content.decode())


def test_a_therapist_reads_their_own_patient_but_not_another(world):
    client = Probe(world, "therapist").client
    own = client.get(f"/patients/{world.personas.care_team.pk}/")
    assert own.status_code == 200 and world.markers_in(own.content.decode()) == {"patient"}
    other = client.get(f"/patients/{world.personas.other_care_team.pk}/")
    assert other.status_code == 404 and not world.markers_in(other.content.decode())


def test_anonymous_and_password_only_staff_are_sent_to_sign_in_steps(world):
    path = f"/patients/{world.personas.care_team.pk}/"
    for persona, step in (("anonymous", "/login/"), (WITHOUT_MFA, "/mfa/verify/")):
        response = Probe(world, persona).client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(step), persona


@websocket_db
def test_presence_sockets_follow_the_care_team(world):
    own = Target(f"/ws/care-teams/{world.personas.care_team.pk}/presence/")
    other = Target(f"/ws/care-teams/{world.personas.other_care_team.pk}/presence/")
    notifications = Target("/ws/notifications/")
    accepted = {
        persona: [r.accepted for r in open_sockets(world, persona, "session", [own, other, notifications])]
        for persona in PERSONA_NAMES
    }
    assert accepted == {
        "therapist": [True, False, True],
        "other_therapist": [False, True, True],
        "patient": [True, False, True],
        "other_patient": [False, True, True],
        "supervisor": [True, False, True],
        "admin": [False, False, True],
        "anonymous": [False, False, False],
    }


@websocket_db
def test_a_socket_from_an_unknown_origin_is_refused(world):
    target = Target(f"/ws/care-teams/{world.personas.care_team.pk}/presence/")
    [result] = open_sockets(world, "therapist", "session", [target], origin=b"https://evil.example")
    assert not result.accepted
