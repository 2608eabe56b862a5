"""Every route of the project, opened as the personas who may use it, with real ids.

Shared by the S2 audit sweep (``test_audit_sweep.py``) and the S5 header sweep
(``test_csp_sweep.py``). Routes come from the URL resolver (the authorization probe's ``_walk``),
so a page is swept the day it is added. Unlike the probe, which tries every id in every
combination to find leaks, a sweep opens the pages the way their users do: path parameters are
filled with the records of one care team (the patient persona's, whose therapist and supervisor
are on it too), and parameters that are not ids get a real value (a diary day, an instrument
code, a valid invitation token ...). A parameter the sweep cannot fill fails loudly.

``post_forms`` reads the POST forms of a served page the way a browser submits them (hidden
inputs, the pressed button, selects and radios as offered, empty fields given a plausible value
by name), so the sweeps can send the writes a person can make.
"""

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from django.contrib.auth.tokens import default_token_generator
from django.db import models
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.regex_helper import normalize

from ipt.accounts.actions import token_digest
from ipt.accounts.models import Invitation, User
from ipt.conftest import sign_in
from ipt.scheduling.views.calendar import create_feed
from ipt.tests.test_authorization_probe import (
    ID_PARAMETER_MODELS,
    PROBE_EMAIL,
    PROBE_TEXT,
    World,
    _is_static,
    _walk,
)

TEAM = "patient"  # the care team whose records are opened (therapist, patient, supervisor are on it)
SIGNED_IN = ("therapist", "patient", "supervisor", "admin")
MAX_PER_PATTERN = 12  # several records of one kind (appointments booked, arrived, cancelled ...)


@dataclass(frozen=True)
class Route:
    group: str  # the URL pattern
    path: str  # percent-encoded, ready for the test client
    values: dict[str, str] = field(default_factory=dict)
    view: Any = None

    def personas(self) -> tuple[str, ...]:
        """Who may use it: the roles the view declares (all signed-in roles when it declares
        none); public views also anonymously."""
        public = getattr(self.view, "login_required", True) is False
        roles = getattr(self.view, "allowed_roles", None)
        # The persona names of the signed-in roles are the roles' values.
        signed_in = tuple(
            persona for persona in SIGNED_IN if roles is None or persona in {str(r) for r in roles}
        )
        return ("anonymous", *signed_in) if public else signed_in


def real_values(world: World) -> dict[str, dict[str, str]]:
    """Values for the parameters that are not record ids: ``{pattern or "*": {name: value}}``."""
    patient = world.personas.patient
    invitation_token = "sweep-invitation-token"  # a second link for the world's invited therapist
    Invitation.objects.create(
        user=User.objects.get(email="invited.therapist@example.test"),
        invited_by=world.personas.admin,
        token_hash=token_digest(invitation_token),
        expires_at=timezone.now() + timedelta(days=1),
    )
    feed = create_feed(patient)
    entry_day = (timezone.localdate() - timedelta(days=1)).isoformat()  # the world's diary entry
    return {
        "*": {"day": entry_day, "code": "phq9", "version": "1", "lesson": "communication-skills"},
        "invitation/<str:token>/": {"token": invitation_token},
        "calendar/feed/<str:token>.ics": {"token": feed.token},
        "password-reset/<uidb64>/<token>/": {
            "uidb64": urlsafe_base64_encode(force_bytes(patient.pk)),
            "token": default_token_generator.make_token(patient),
        },
    }


def _model_named(name: str) -> type[models.Model] | None:
    """The model a ``<x>_id`` parameter names: the probe's table, else a model called x."""
    if name in ID_PARAMETER_MODELS:
        return ID_PARAMETER_MODELS[name]
    from django.apps import apps

    stem = name.removesuffix("_id").replace("_", "")
    matches = [m for m in apps.get_models() if m._meta.app_label != "auth" and m._meta.model_name == stem]
    matches = matches or [m for m in apps.get_models() if m._meta.model_name.endswith(stem)]
    return matches[0] if len(matches) == 1 else None


def _candidates(world: World, group: str, name: str, values: dict[str, dict[str, str]]) -> list[str]:
    for scope in (group, "*"):
        if name in values.get(scope, {}):
            return [values[scope][name]]
    model = _model_named(name)
    if model is User:
        return [str(world.personas.patient.pk), str(world.personas.therapist.pk)]
    if model is not None:
        ids = world.ids_by_model.get(model, [])
        own = [pk for pk in ids if world.owner_of.get(pk) == TEAM]
        if own:
            return own
        # Rows of no care team (crisis lines ...): any that is not the other team's.
        return [pk for pk in ids if pk not in world.owner_of][:MAX_PER_PATTERN]
    raise AssertionError(
        f"The sweep cannot fill <{name}> of {group!r}: give it a real value in real_values()."
    )


def _fillings(world: World, chain: tuple, group: str, values: dict) -> list[dict]:
    """{path, values} for each way to fill the chain of patterns with the team's records."""
    results: list[dict] = [{"path": "", "values": {}}]
    for pattern in chain:
        template, names = normalize(pattern.regex.pattern)[0]
        candidates = [_candidates(world, group, name, values) for name in names]
        combinations = list(itertools.product(*candidates))
        if len(combinations) > MAX_PER_PATTERN:
            combinations = random.Random(0).sample(combinations, MAX_PER_PATTERN)
        fillings = [dict(zip(names, combination, strict=True)) for combination in combinations]
        results = [
            {"path": done["path"] + template % filling, "values": {**done["values"], **filling}}
            for done in results
            for filling in fillings
        ]
    return results


def routes(world: World, values: dict[str, dict[str, str]], *, api: bool = False) -> list[Route]:
    """Every URL pattern (outside the JSON API unless ``api``; never static files), filled in."""
    found = []
    for chain, view, in_api in _walk(get_resolver().url_patterns):
        if in_api != api:
            continue
        group = "".join(str(pattern) for pattern in chain)
        for filling in _fillings(world, chain, group, values):
            if not _is_static(filling["path"]):
                found.append(Route(group, "/" + quote(filling["path"]), filling["values"], view))
    return found


def fill_api_path(world: World, template: str, values: dict[str, dict[str, str]]) -> list[str]:
    """An OpenAPI path template (``/api/v1/courses/{course_id}``) filled with the team's records."""
    names = [name.strip("{}") for name in template.split("/") if name.startswith("{")]
    candidates = [_candidates(world, template, name, values) for name in names]
    paths = []
    for combination in itertools.product(*candidates):
        path = template
        for name, value in zip(names, combination, strict=True):
            path = path.replace("{" + name + "}", quote(value))
        paths.append(path)
    return paths[:MAX_PER_PATTERN]


class Clients:
    """One signed-in client per persona, signed in again whenever a request ended its session."""

    def __init__(self, world: World):
        self.world = world
        self._clients: dict[str, Client] = {}
        self._keys: dict[str, str | None] = {}

    def __getitem__(self, persona: str) -> Client:
        client = self._clients.get(persona)
        if client is None or self._session_key(client) != self._keys[persona]:
            client = sign_in(Client(raise_request_exception=False), self.world.user(persona))
            self._clients[persona], self._keys[persona] = client, self._session_key(client)
        return client

    @staticmethod
    def _session_key(client: Client) -> str | None:
        from django.conf import settings

        cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
        return cookie.value if cookie is not None and cookie.value else None


# Forms as a browser submits them -------------------------------------------------------------


@dataclass
class PostForm:
    action: str  # as written in the page ("" is the page itself)
    fields: dict[str, str]


def _typed_value(kind: str, name: str, plausible: dict[str, str]) -> str:
    if name in plausible:
        return plausible[name]
    now = timezone.localtime() + timedelta(days=1)
    return {
        "email": PROBE_EMAIL,
        "number": "1",
        "range": "5",
        "date": now.date().isoformat(),
        "datetime-local": now.strftime("%Y-%m-%dT10:00"),
        "time": "10:00",
        "url": "https://example.org/",
        "tel": "+441234567890",
    }.get(kind, PROBE_TEXT)


class _FormReader(HTMLParser):
    """The POST forms of a page, one ``PostForm`` per submit button (a form without a named
    button gives one; a button's ``formaction`` is its target, and a form's htmx ``hx-post`` is
    one more). Empty fields are filled with
    ``plausible`` values by name, else by type."""

    def __init__(self, plausible: dict[str, str]):
        super().__init__()
        self.plausible = plausible
        self.forms: list[PostForm] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        name, kind = a.get("name", ""), a.get("type", "text").lower()
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = {"action": a.get("action", ""), "fields": {}, "radios": {}, "buttons": []}
                self._form["autosave"] = a.get("hx-post")  # htmx posts the form there as it is typed
            return
        form = self._form
        if form is None:
            return
        if tag == "textarea" and name:
            self._textarea = name
            form["fields"][name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            chosen = form["fields"]
            value = a.get("value", "")
            if "selected" in a or (self._select not in chosen and value):
                chosen[self._select] = value
        elif tag == "button" and kind in ("submit", "text") and "disabled" not in a:
            form["buttons"].append((name, a.get("value", ""), a.get("formaction")))
        elif tag == "input" and name and "disabled" not in a:
            self._input(form, a, name, kind)

    def _input(self, form: dict, a: dict[str, str], name: str, kind: str) -> None:
        value = a.get("value", "")
        if kind == "submit":
            form["buttons"].append((name, value, a.get("formaction")))
        elif kind == "hidden":
            form["fields"][name] = value
        elif kind == "checkbox":
            if "checked" in a:
                form["fields"][name] = value or "on"
        elif kind == "radio":
            if "checked" in a or name not in form["radios"]:
                form["radios"][name] = value
        elif kind not in ("file", "button", "reset", "image"):
            form["fields"][name] = value or _typed_value(kind, name, self.plausible)

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "textarea" and form is not None and self._textarea:
            if not form["fields"][self._textarea].strip():
                form["fields"][self._textarea] = self.plausible.get(self._textarea, PROBE_TEXT)
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and form is not None:
            fields = {**form["fields"], **form["radios"]}
            for name, value, formaction in form["buttons"] or [("", "", None)]:
                pressed = {name: value} if name else {}
                action = form["action"] if formaction is None else formaction
                self.forms.append(PostForm(action, {**fields, **pressed}))
            if form["autosave"]:
                self.forms.append(PostForm(form["autosave"], fields))
            self._form = None


def post_forms(html: str, plausible: dict[str, str]) -> list[PostForm]:
    reader = _FormReader(plausible)
    reader.feed(html)
    return reader.forms


def form_target(page_path: str, action: str) -> str | None:
    """The path a form posts to, or None when it leaves the site."""
    if action in ("", "."):
        return page_path.split("?")[0]
    if action.startswith("/") and not action.startswith("//"):
        return action
    if action.startswith("?"):
        return page_path.split("?")[0] + action
    return None


def iter_html_attributes(html: str) -> Iterator[tuple[str, dict[str, str]]]:
    """(tag, attributes) of every start tag."""
    found: list[tuple[str, dict[str, str]]] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

    Reader().feed(html)
    yield from found
