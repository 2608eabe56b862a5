"""FHIR R4 endpoints, the patient's own record download, and the course progress report.

FHIR (``/fhir/r4/...``) is for programs as well as browsers: it accepts a bearer token (as the
JSON API does) or a signed-in session (staff only after their TOTP check; the MFA middleware sends
password-only staff sessions to it). Errors are OperationOutcome resources: 401 without valid
credentials, 403 for roles that see no clinical content (admins), 404 for "missing" and "not
yours" alike. Every export is audited.
"""

import json

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from ipt.accounts.access import care_teams_for, get_care_team_for, get_own_care_team
from ipt.accounts.auth import BearerTokenAuth
from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role, User
from ipt.audit.actions import record
from ipt.care.access import get_course_for
from ipt.interop import fhir, reports
from ipt.lib.http_queue import slow

FHIR_ROLES = (Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
STAFF = (Role.THERAPIST, Role.SUPERVISOR)


def _fhir_response(resource: dict, status: int = 200, **headers) -> HttpResponse:
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type=fhir.CONTENT_TYPE)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    response["Cache-Control"] = "no-store"
    return response


def _fhir_user(request) -> User | None:
    """The caller: a bearer token when one is sent (and then only that), else the session."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        return BearerTokenAuth().authenticate(request, token.strip())
    user = request.user
    if not user.is_authenticated or (user.is_staff_role and not user.is_verified()):
        return None
    return user


def fhir_view(view):
    """GET only; resolves the caller and turns refusals into OperationOutcome responses."""

    @login_not_required
    @require_GET
    def wrapper(request, *args, **kwargs):
        user = _fhir_user(request)
        if user is None:
            outcome = fhir.operation_outcome("login", "Sign in or send a valid bearer token.")
            return _fhir_response(outcome, 401, WWW_Authenticate='Bearer realm="fhir"')
        if user.role not in FHIR_ROLES:
            outcome = fhir.operation_outcome("forbidden", "This account sees no clinical records.")
            return _fhir_response(outcome, 403)
        try:
            return view(request, user, *args, **kwargs)
        except Http404:
            return _fhir_response(fhir.operation_outcome("not-found", "No such resource."), 404)

    wrapper.__name__ = wrapper.__qualname__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _base_url(request) -> str:
    return request.build_absolute_uri(reverse("fhir_patient_search")).rsplit("/Patient", 1)[0]


def _everything(request, user: User, team) -> dict:
    record_ = fhir.patient_record(user, team)
    return fhir.searchset(_base_url(request), record_.resources, matches=1)


@fhir_view
def patient_search(request, user):
    """``GET /fhir/r4/Patient``: the patients this caller may see (a patient: themselves)."""
    teams = list(care_teams_for(user).order_by("created_at"))
    record(actor=user, action="fhir.patient.search", request=request, detail={"count": len(teams)})
    resources = [fhir.patient_resource(team) for team in teams]
    return _fhir_response(fhir.searchset(_base_url(request), resources, matches=len(resources)))


@fhir_view
def patient_read(request, user, care_team_id):
    """``GET /fhir/r4/Patient/{id}``."""
    team = get_care_team_for(user, care_team_id)
    record(actor=user, action="fhir.patient.read", target=team, patient=team.patient, request=request)
    return _fhir_response(fhir.patient_resource(team))


@fhir_view
def patient_everything(request, user, care_team_id):
    """``GET /fhir/r4/Patient/{id}/$everything``: the patient's record (see ``ipt.interop.fhir``)."""
    team = get_care_team_for(user, care_team_id)
    record(actor=user, action="fhir.patient.everything", target=team, patient=team.patient, request=request)
    return _fhir_response(_everything(request, user, team))


# The patient's own record -----------------------------------------------------------------------


def _own_team(user: User):
    team = get_own_care_team(user)
    if team is None:
        raise Http404("You have no record yet.")
    return team


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(Role.PATIENT)
def my_record_json(request):
    """The patient's own FHIR record (their ``$everything``), to keep or take elsewhere."""
    team = _own_team(request.user)
    record(
        actor=request.user, action="record.json.download", target=team, patient=team.patient, request=request
    )
    response = _fhir_response(_everything(request, request.user, team))
    return _attachment(response, "my-therapy-record.json")


@slow
@require_GET
@role_required(Role.PATIENT)
def my_record_pdf(request):
    """The patient's own record as a readable PDF."""
    team = _own_team(request.user)
    record(
        actor=request.user, action="record.pdf.download", target=team, patient=team.patient, request=request
    )
    pdf = reports.render_pdf(reports.patient_record_html(request.user, team))
    return _attachment(HttpResponse(pdf, content_type="application/pdf"), "my-therapy-record.pdf")


# Staff: the course progress report ----------------------------------------------------------------


@slow
@require_GET
@role_required(*STAFF)
def course_report_pdf(request, course_id):
    """A progress report to share with a prescriber: scores, change, problem areas and goals."""
    course = get_course_for(request.user, course_id)
    record(
        actor=request.user,
        action="report.pdf.read",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    pdf = reports.render_pdf(reports.progress_report_html(request.user, course))
    return _attachment(HttpResponse(pdf, content_type="application/pdf"), f"progress-report-{course.pk}.pdf")
