"""The course's lifecycle pages: start, overview with checklist and phase moves, details, fidelity,
and the patient's own course page.

Staff pages: therapist and supervisor read, only the course's therapist writes. Every page
starts from ``get_course_for`` (404 for missing and not yours) and audits the read.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipt.accounts.access import get_care_team_for
from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import (
    courses_for,
    formulations_for,
    get_course_for,
    is_course_therapist,
    my_course_or_404,
    problem_areas_for,
    require_therapist,
)
from ipt.care.actions import course as course_actions
from ipt.care.actions.course import TRANSITIONS, transition_problems
from ipt.care.checklist import checklist, session_position
from ipt.care.fidelity import fidelity_table
from ipt.care.forms.course import CourseDetailsForm, CourseStartForm, StatusChangeForm
from ipt.care.models import ACTIVE_STATUSES, CourseStatus, StatusChange, TargetCondition
from ipt.care.problem_area_templates import template_for
from ipt.lib.forms import posted
from ipt.lib.fragments import cached_html
from ipt.lib.prepared import instances

STAFF = (Role.THERAPIST, Role.SUPERVISOR)
# The order moves are offered in: forward first, discontinuing last.
MOVE_ORDER = [
    CourseStatus.INITIAL,
    CourseStatus.MIDDLE,
    CourseStatus.TERMINATION,
    CourseStatus.MAINTENANCE,
    CourseStatus.COMPLETED,
    CourseStatus.DISCONTINUED,
]
MOVE_LABELS = {
    CourseStatus.INITIAL: "Begin the initial phase",
    CourseStatus.MIDDLE: "Move to the middle phase",
    CourseStatus.TERMINATION: "Move to the termination phase",
    CourseStatus.MAINTENANCE: "Continue with maintenance sessions",
    CourseStatus.COMPLETED: "Mark the course completed",
    CourseStatus.DISCONTINUED: "Discontinue the course",
}


def _audit_read(request, course, action: str = "course.read") -> None:
    record(
        actor=request.user, action=action, target=course, patient=course.care_team.patient, request=request
    )


def _condition_labels(course) -> list[str]:
    return [TargetCondition(c).label for c in course.target_conditions if c in TargetCondition.values]


# Start ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST)
def start_course(request, care_team_id):
    team = get_care_team_for(request.user, care_team_id)
    if team.therapist_id != request.user.pk:
        raise PermissionDenied("Only the patient's therapist can start a course.")
    active = courses_for(request.user).filter(care_team=team, status__in=ACTIVE_STATUSES).first()
    if active is not None and request.method == "GET":
        messages.info(request, "This patient already has an active course.")
        return redirect("course_overview", active.pk)
    form = CourseStartForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            course = course_actions.start_course(
                actor=request.user, care_team=team, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The course has started, in the intake phase.")
            return redirect("course_overview", course.pk)
    status = 400 if form.errors else 200
    return render(request, "care/course_start.html", {"team": team, "form": form}, status=status)


# Overview and phase moves ---------------------------------------------------------------------------


def _moves(course) -> list[dict]:
    allowed = TRANSITIONS[CourseStatus(course.status)]
    return [
        {
            "to_status": to_status,
            "label": MOVE_LABELS[to_status],
            "problems": transition_problems(course, to_status),
            "needs_reason": to_status == CourseStatus.DISCONTINUED,
        }
        for to_status in MOVE_ORDER
        if to_status in allowed
    ]


def _history_query(course_id):
    return StatusChange.objects.filter(course=course_id).select_related("changed_by")


def _checklist_html(course) -> str:
    """Rendered once per state of the checklist (it shows nothing else): about a third of the
    chart's template work (issue 7, P2)."""
    phases = checklist(course)
    return cached_html(
        f"checklist:{course.status}:{phases!r}",
        lambda: render_to_string("care/_checklist.html", {"phases": phases, "current": course.status}),
    )


def _render_overview(request, course, status_form=None, status: int = 200):
    _audit_read(request, course)
    held, planned = session_position(course)
    context = {
        "course": course,
        "patient": course.care_team.patient,
        "can_write": is_course_therapist(request.user, course),
        "held": held,
        "planned": planned,
        "checklist": _checklist_html(course),
        "moves": _moves(course),
        "conditions": _condition_labels(course),
        "history": instances(_history_query, course.pk),
        "status_form": status_form,
        "refused_move": status_form.data.get("to_status", "") if status_form is not None else "",
    }
    return render(request, "care/course_overview.html", context, status=status)


@require_GET
@role_required(*STAFF)
def overview(request, course_id):
    course = get_course_for(request.user, course_id)
    return _render_overview(request, course)


@require_POST
@role_required(*STAFF)
def change_status(request, course_id):
    course = get_course_for(request.user, course_id)
    require_therapist(request.user, course)
    form = StatusChangeForm(request.POST)
    if form.is_valid():
        try:
            course = course_actions.change_status(
                actor=request.user,
                course=course,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"The course is now: {course.get_status_display().lower()}.")
            return redirect("course_overview", course.pk)
    return _render_overview(request, course, status_form=form, status=400)


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def edit_details(request, course_id):
    course = get_course_for(request.user, course_id)
    require_therapist(request.user, course)
    initial = {
        "planned_sessions": course.planned_sessions,
        "target_conditions": course.target_conditions,
        "icd10_codes": course.icd10_codes,
        "medication": course.medication,
        "prescriber_contact": course.prescriber_contact,
    }
    form = CourseDetailsForm(posted(request), initial=initial, course_format=course.format)
    if request.method == "POST" and form.is_valid():
        try:
            course_actions.update_course_details(
                actor=request.user, course=course, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The course details are saved.")
            return redirect("course_overview", course.pk)
    if request.method == "GET":
        _audit_read(request, course)
    context = {"course": course, "form": form}
    return render(request, "care/course_details.html", context, status=400 if form.errors else 200)


# Fidelity -----------------------------------------------------------------------------------------


@require_GET
@role_required(*STAFF)
def fidelity(request, course_id):
    course = get_course_for(request.user, course_id)
    _audit_read(request, course, "course.fidelity.read")
    context = {"course": course, "table": fidelity_table(course)}
    return render(request, "care/fidelity.html", context)


# The patient's own course ---------------------------------------------------------------------------


@require_GET
@role_required(Role.PATIENT)
def my_course(request):
    course = my_course_or_404(request.user)
    _audit_read(request, course)
    held, planned = session_position(course)
    # The focus is named to the patient with the formulation, so it shows once one is shared.
    focus_shared = formulations_for(request.user, course).exists()
    areas = []
    if focus_shared:
        for area in problem_areas_for(request.user, course):
            goals = [line.strip() for line in area.goals.splitlines() if line.strip()]
            template = template_for(area.kind)
            areas.append(
                {"area": area, "plain_name": template.plain_name, "plain": template.plain, "goals": goals}
            )
    context = {
        "course": course,
        "therapist": course.care_team.therapist,
        "held": held,
        "planned": planned,
        "areas": areas,
        "focus_shared": focus_shared,
    }
    return render(request, "care/my_course.html", context)
