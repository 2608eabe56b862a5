"""S2 sweep: every route that shows or changes clinical data records an audit event.

Every URL pattern of the project (``route_sweep.routes``: the URL resolver, filled with the
records of the patient persona's care team) is opened with GET by each persona its view admits
(therapist, patient, supervisor, admin; public pages anonymously too). Each POST form those pages
show is then submitted as a browser would (``route_sweep.post_forms``); a route whose GET is not a
page is sent a plausible form of its own. The JSON API is swept the same way from its OpenAPI
schema, with bearer tokens. Judged per request:

- a GET answered 200 by a route that is not on ``NOT_CLINICAL`` must add an audit event;
- a request that changed a table of the project (the authorization probe's ``snapshot``, which
  leaves out the audit tables) must add an audit event, whatever the route, allow-listed or not;
- every event added names the signed-in actor, their role and the client address (who, when,
  from where), and the patient whose record it is when the route names the care team's records.

So that a route cannot pass by never being reached, every pattern not on ``NOT_CLINICAL`` must
have been read (a 200) or written through by the sweep, unless ``NOT_REACHED`` says why not and
which test covers it instead. Every request runs in a savepoint that is rolled back, so the next
one sees the same world; the snapshot is taken only when the request's SQL wrote to a project
table, which keeps the sweep fast.
"""

import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include
from django.urls import path as url
from django.utils import timezone

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.api import api
from ipt.audit.actions import record
from ipt.audit.models import AuditEvent
from ipt.care.access import get_course_for
from ipt.care.models import HomeworkTask, TerminationReview, TreatmentCourse
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth.models import ConsentDocument, ConsentSignature
from ipt.telehealth.readiness import current_consent_document
from ipt.tests.route_sweep import TEAM, Clients, fill_api_path, form_target, post_forms, real_values, routes
from ipt.tests.test_authorization_probe import (
    FORM,
    SNAPSHOT_IGNORED_MODELS,
    _changed_tables,
    api_operations,
    snapshot,
    world,  # noqa: F401  (a fixture)
)

# URL patterns whose pages show no clinical data, and why. Every other page must audit its reads.
# (Writes are judged everywhere: a request that changes a table must be audited, listed or not.)
NOT_CLINICAL: dict[str, str] = {
    "healthz": "service health",
    "crisis/": "public crisis lines",
    "login/": "sign-in (its successes and failures are audited by the sign-in itself)",
    "logout/": "sign-out",
    "mfa/enrol/": "the staff member's own authenticator",
    "mfa/verify/": "the staff member's own TOTP step",
    "session/status": "the idle-logoff clock",
    "session/keepalive": "the idle-logoff clock",
    "invitation/<str:token>/": "accepting an invitation: the invited person's own password",
    "password-reset/": "password reset",
    "password-reset/sent/": "password reset",
    "password-reset/<uidb64>/<token>/": "password reset",
    "password-reset/done/": "password reset",
    "patients/invite/": "an empty invitation form (sending it is audited)",
    "users/": "account administration: no clinical content (S7)",
    "users/<uuid:user_id>/": "account administration: no clinical content (S7)",
    "users/invite/": "account administration",
    "audit/": "the audit trail itself (its searches are audited, ipt/audit/tests)",
    "crisis-lines/": "the practice's crisis line directory",
    "crisis-lines/<uuid:line_id>/": "the practice's crisis line directory",
    "telehealth/consent-documents/": "the consent form's text, the same for every patient",
    "my/telehealth-consent/": "the consent form's text and whether it was signed (signing is audited)",
    "device-check/": "camera and microphone test, nothing stored",
    "calendar/": "the person's own calendar-feed settings",
    "schedule/availability/": "the therapist's own working hours",
    "my/lessons/": "the lessons catalogue",
    "my/lessons/<slug:lesson>/": "a lesson's text, the same for everyone",
    "my/practice/feedback/": "communication practice on text typed there, nothing stored",
}
# Clinical patterns the sweep cannot reach with a plain GET or a form of the pages, and the tests
# that show they audit instead.
NOT_REACHED: dict[str, str] = {
    "emergency-access/<uuid:grant_id>/": "needs an open emergency-access grant of the reader's own: "
    "ipt/breakglass/tests/test_break_glass.py",
    "my/questionnaires/start/<uuid:assignment_id>/": "needs a questionnaire due and none in progress: "
    "ipt/measures/tests/test_administrations.py",
    "my/appointments/book/": "needs the therapist's open slots: ipt/scheduling/tests",
    "patients/<uuid:care_team_id>/courses/start/": "the care team already has a course: ipt/care/tests",
}
# The same for API operations ("METHOD path" as the OpenAPI schema lists them).
API_NOT_CLINICAL: dict[str, str] = {
    "GET /api/v1/me": "the caller's own account",
    "GET /api/v1/instruments": "the list of questionnaires",
    "POST /api/v1/instruments/{code}/score": "scores the answers sent, stores nothing",
    "GET /api/v1/appointments/slots": "the therapist's free times",
    "POST /api/v1/practice/communication-feedback": "communication practice on the text sent, stores nothing",
}
API_NOT_REACHED: dict[str, str] = {
    "POST /api/v1/appointments": "booking needs an open slot: ipt/scheduling/tests/test_booking_api.py",
    "POST /api/v1/appointments/{appointment_id}/reschedule": "needs an open slot to move to: "
    "ipt/scheduling/tests/test_booking_api.py",
}
API_PERSONAS = ("therapist", "patient", "supervisor")
# What a page's script sends where no form field says (a conversation's read mark).
SCRIPT_VALUES = {"up_to": "2147483647"}
READ, WRITE = "read", "write"
_WRITE_SQL = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def _watched_tables() -> set[str]:
    """The project's tables whose change must be audited (the probe's snapshot, audit aside)."""
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config.name.startswith("ipt.")
        and model._meta.label_lower not in SNAPSHOT_IGNORED_MODELS
    }


@dataclass
class Sweep:
    world: object
    before: dict = field(default_factory=snapshot)
    watched: set[str] = field(default_factory=_watched_tables)
    problems: list[str] = field(default_factory=list)
    reached: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    requests: int = 0

    @property
    def team_record_ids(self) -> list[str]:
        return [pk for pk, owner in self.world.owner_of.items() if owner == TEAM]

    def send(
        self,
        client: Client,
        persona: str,
        method: str,
        path: str,
        group: str,
        *,
        clinical: bool,
        public=False,
        **kw,
    ):
        """One request in a savepoint that is rolled back once it has been judged. On a public
        route the actor is whom the view authenticates (a feed's token, the sign-in form), not the
        session's user."""
        where = f"{persona} {method.upper()} {path} ({group})"
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        connection.queries_log.clear()  # a full log (9,000 queries) would capture nothing
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            response = client.generic(method.upper(), path, **kw)
            added = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
            wrote = {m.group(1) for q in queries.captured_queries if (m := _WRITE_SQL.match(q["sql"]))}
            changed = _changed_tables(self.before, snapshot()) if wrote & self.watched else []
            transaction.set_rollback(True)
        self.requests += 1
        if path.startswith("/my/") or any(pk in path for pk in self.team_record_ids):
            # A page of the team's records: every event it adds is filed under that patient.
            self.problems += [
                f"{where}: event {event.action} is not filed under the patient"
                for event in added
                if event.patient_id != self.world.personas.care_team.patient_id
            ]
        self._judge(
            where,
            group,
            "anonymous" if public else persona,
            response,
            added,
            changed,
            read=method == "get" and clinical,
            write=method != "get",
        )
        return response

    def _judge(self, where, group, persona, response, added, changed, *, read: bool, write: bool) -> None:
        if response.status_code >= 500:
            self.problems.append(f"{where}: server error {response.status_code}")
        if changed or (write and added and response.status_code < 400):
            # A write the snapshot leaves out (a read mark) still counts when it was audited.
            self.reached[group].add(WRITE)
            if changed and not added:
                self.problems.append(f"{where} changed {', '.join(changed)} without an audit event")
        if read and response.status_code == 200:
            self.reached[group].add(READ)
            if not added:
                self.problems.append(f"{where}: 200 without an audit event")
        self.problems += [f"{where}: {problem}" for problem in self._event_problems(persona, added)]

    def _event_problems(self, persona: str, added: list[AuditEvent]) -> list[str]:
        """Who, when and from where, for every event added by a signed-in persona."""
        user = self.world.user(persona)
        problems = []
        for event in added:
            if user is not None and event.actor_id != user.pk:
                problems.append(f"event {event.action} names actor {event.actor_email!r}")
            if user is not None and event.actor_role != user.role:
                problems.append(f"event {event.action} names role {event.actor_role!r}")
            if not event.ip:  # anonymous included: a sign-in failure or a feed read has an address
                problems.append(f"event {event.action} has no client address")
            if event.at is None:
                problems.append(f"event {event.action} has no time")
        return problems

    def verdict(
        self, groups: set[str], not_clinical: dict[str, str], not_reached: dict[str, str]
    ) -> list[str]:
        """The problems, the clinical routes never reached, and ``not_reached`` entries that were."""
        unreached = sorted(g for g in groups - set(not_clinical) - set(not_reached) if not self.reached[g])
        stale = sorted(g for g in not_reached if self.reached[g])
        return [
            *self.problems,
            *(
                f"{g}: never read (200) nor written; teach the sweep or say why in NOT_REACHED"
                for g in unreached
            ),
            *(f"{g}: reached now, take it off NOT_REACHED" for g in stale),
        ]


def _own_name(the_world, persona: str) -> dict[str, str]:
    user = the_world.user(persona)
    return {"full_name": f"{user.first_name} {user.last_name}"} if user is not None else {}


@pytest.fixture
def sweep_world(world):  # noqa: F811
    """The probe's world, with more for the sweep to reach: the termination review shared (so the
    patient's page shows it), the patient's telehealth consent signed and the patient in the
    waiting room of the session about to start (so they can join and be admitted), and a booked
    session of three days ago (which can be marked missed)."""
    team = world.personas.care_team
    TerminationReview.objects.filter(course__care_team=team).update(shared_at=team.created_at)
    document = current_consent_document() or ConsentDocument.objects.create(
        version=1, title="Telehealth consent", body="Consent."
    )
    ConsentSignature.objects.create(document=document, patient=team.patient, typed_name="Paula Tient")
    start = timezone.now() - timedelta(days=3)
    course = TreatmentCourse.objects.get(care_team=team)
    missed = Appointment.objects.create(
        therapist=team.therapist,
        patient=team.patient,
        course=course,
        created_by=team.therapist,
        start=start,
        end=start + timedelta(minutes=50),
    )
    world.owner_of[str(missed.pk)] = TEAM
    # The patient of the session about to start is in the waiting room (the therapist may admit).
    Appointment.objects.filter(
        course=course, status=AppointmentStatus.BOOKED, start__gt=timezone.now()
    ).update(waiting_since=timezone.now())
    world.ids_by_model[Appointment].append(str(missed.pk))
    return world


def sweep_pages(the_world, prefix: str = "/") -> tuple[Sweep, set[str]]:
    """Every page (or those whose path starts with ``prefix``), then every form they show."""
    all_routes = [
        route for route in routes(the_world, real_values(the_world)) if route.path.startswith(prefix)
    ]
    clients = Clients(the_world)
    anonymous = Client(raise_request_exception=False)
    sweep = Sweep(the_world)
    group_of = {route.path: route.group for route in all_routes}
    to_post: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    plausible = the_world.plausible_form | SCRIPT_VALUES
    for route in all_routes:
        clinical = route.group not in NOT_CLINICAL
        public = "anonymous" in route.personas()
        for persona in route.personas():
            client = anonymous if persona == "anonymous" else clients[persona]
            response = sweep.send(
                client, persona, "get", route.path, route.group, clinical=clinical, public=public
            )
            own = _own_name(the_world, persona)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                for form in post_forms(response.content.decode(), plausible):
                    target = form_target(route.path, form.action)
                    if target is not None:
                        to_post[(persona, target)].append(form.fields | own)
            else:  # a route that takes only a POST, or refused the GET
                to_post[(persona, route.path)].append(plausible | own)
    public_groups = {route.group for route in all_routes if "anonymous" in route.personas()}
    for (persona, path), payloads in to_post.items():
        group = group_of.get(path.split("?")[0], path)
        public = group in public_groups
        for payload in {tuple(sorted(p.items())): p for p in payloads}.values():
            client = anonymous if persona == "anonymous" else clients[persona]
            sweep.send(
                client,
                persona,
                "post",
                path,
                group,
                clinical=True,
                public=public,
                data=urlencode(payload),
                content_type=FORM,
            )
    return sweep, set(group_of.values())


def _api_body(the_world, schema_body):
    """The probe's plausible JSON body, with the care team's real ids where a field names one."""
    if not isinstance(schema_body, dict):
        return schema_body
    team = the_world.personas.care_team
    real = {"care_team": str(team.pk), "therapist": str(team.therapist_id), "patient": str(team.patient_id)}
    return {name: real.get(name, value) for name, value in schema_body.items()} | (
        {"up_to": 2**40} if "up_to" in schema_body else {}
    )


def api_operation_names() -> set[str]:
    """ "METHOD path" of every operation the OpenAPI schema lists."""
    paths = api.get_openapi_schema()["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item}


def sweep_api(the_world) -> tuple[Sweep, set[str]]:
    values = real_values(the_world)  # before the sweep's snapshot: it makes rows
    sweep = Sweep(the_world)
    names = api_operation_names()
    operations = {operation.target.group: operation for operation in api_operations(the_world)}
    for template, operation in operations.items():
        for path, persona in itertools.product(fill_api_path(the_world, template, values), API_PERSONAS):
            client = Client(
                raise_request_exception=False,
                headers={"Authorization": f"Bearer {the_world.tokens[persona]}"},
            )
            for method in operation.methods:
                name = f"{method.upper()} {template}"
                if name not in names:
                    continue
                body = operation.request_bodies.get(method)
                json_body = {
                    "data": json.dumps(_api_body(the_world, body)),
                    "content_type": "application/json",
                }
                clinical = name not in API_NOT_CLINICAL
                sweep.send(
                    client,
                    persona,
                    method,
                    path,
                    name,
                    clinical=clinical,
                    **({} if body is None else json_body),
                )
    return sweep, names


def _report(problems: list[str], limit: int = 60) -> str:
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:limit]) + more


def test_every_page_that_shows_or_changes_clinical_data_is_audited(sweep_world):
    sweep, groups = sweep_pages(sweep_world)
    assert sweep.requests > 300, "the sweep reached the project's pages"
    problems = sweep.verdict(groups, NOT_CLINICAL, NOT_REACHED)
    assert not problems, _report(problems)


def test_every_api_operation_that_shows_or_changes_clinical_data_is_audited(sweep_world):
    sweep, groups = sweep_api(sweep_world)
    assert sweep.requests > 30
    problems = sweep.verdict(groups, API_NOT_CLINICAL, API_NOT_REACHED)
    assert not problems, _report(problems)


def test_the_allow_lists_name_only_existing_routes(sweep_world):
    """A renamed or removed route must leave the lists too, or they would hide its successor."""
    page_groups = {route.group for route in routes(sweep_world, real_values(sweep_world))}
    assert set(NOT_CLINICAL) | set(NOT_REACHED) <= page_groups
    assert set(API_NOT_CLINICAL) | set(API_NOT_REACHED) <= api_operation_names()
    assert not set(NOT_CLINICAL) & set(NOT_REACHED)


# The sweep can fail: two views that show and change a course without an audit event. -----------


@role_required(Role.THERAPIST)
def _unaudited_read(request, course_id):
    return HttpResponse(f"<p>{get_course_for(request.user, course_id).medication}</p>")


@role_required(Role.THERAPIST)
def _unaudited_write(request, course_id):
    course = get_course_for(request.user, course_id)
    if request.method == "POST":
        HomeworkTask.objects.create(course=course, description=request.POST.get("description", ""))
    else:  # it audits its page, so only the write is missing
        patient = course.care_team.patient
        record(actor=request.user, action="probe.page.read", target=course, patient=patient, request=request)
    return HttpResponse(
        '<form method="post"><textarea name="description"></textarea><button>Save</button></form>'
    )


urlpatterns = [  # the project's, and the two broken views (only in the test below)
    url("unaudited/read/<uuid:course_id>/", _unaudited_read),
    url("unaudited/write/<uuid:course_id>/", _unaudited_write),
    url("", include("ipt.urls")),
]


def test_the_sweep_fails_on_an_unaudited_read_and_an_unaudited_write(sweep_world, settings):
    settings.ROOT_URLCONF = __name__
    sweep, _ = sweep_pages(sweep_world, prefix="/unaudited/")
    read = [p for p in sweep.problems if p.startswith("therapist GET /unaudited/read/")]
    write = [p for p in sweep.problems if p.startswith("therapist POST /unaudited/write/")]
    assert [p.rsplit(": ", 1)[-1] for p in read] == ["200 without an audit event"]
    assert len(write) == 1, sweep.problems
    assert write[0].endswith("changed care.HomeworkTask without an audit event")
    assert len(sweep.problems) == 2, sweep.problems
