"""Risk alerts (staff), safety plans (patient and therapist together) and the crisis-lines table."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import (
    get_course_for,
    is_course_therapist,
    my_course_or_404,
    require_therapist,
)
from ipt.lib.forms import posted
from ipt.safety import actions
from ipt.safety.access import (
    alerts_for,
    current_safety_plan_for,
    get_alert_for,
    get_safety_plan_version_for,
    safety_plan_versions_for,
)
from ipt.safety.crisis import crisis_context, crisis_panel_context
from ipt.safety.forms import CrisisLineForm, FollowUpForm, SafetyPlanForm
from ipt.safety.models import SAFETY_PLAN_FIELDS, AlertStatus, CrisisLine

__all__ = ["crisis_panel_context"]  # the questionnaire result page uses it with _crisis_panel.html


def _refused(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
        for field, field_messages in error.message_dict.items():
            form.add_error(field, field_messages)
    else:
        form.add_error(None, error.messages)


# Alerts ------------------------------------------------------------------------------------------


@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def alert_list(request):
    # Escalation also runs from cron (manage.py escalate_alerts); running it here too means it
    # never depends on cron alone.
    actions.escalate_overdue_alerts(timezone.now())
    alerts = list(alerts_for(request.user))
    now = timezone.now()
    open_alerts = sorted(
        (alert for alert in alerts if alert.status == AlertStatus.OPEN), key=lambda alert: alert.created_at
    )
    for alert in open_alerts:
        alert.overdue = actions.is_overdue(alert, now)
    handled = [alert for alert in alerts if alert.status != AlertStatus.OPEN][:50]
    record(actor=request.user, action="risk_alert.list", request=request, detail={"open": len(open_alerts)})
    return render(
        request,
        "safety/alerts.html",
        {"open_alerts": open_alerts, "handled_alerts": handled, "escalate_minutes": actions.escalate_after()},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def alert_detail(request, alert_id):
    alert = get_alert_for(request.user, alert_id)
    course = alert.course
    can_acknowledge = is_course_therapist(request.user, course) and alert.status == AlertStatus.OPEN
    form = FollowUpForm(posted(request))
    status = 200
    if request.method == "POST":
        require_therapist(request.user, course)
        if form.is_valid():
            try:
                actions.acknowledge_alert(
                    actor=request.user, alert=alert, follow_up=form.cleaned_data["follow_up"], request=request
                )
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, "Alert acknowledged and your follow-up recorded.")
                return redirect("safety_alert", alert.pk)
        status = 400
    record(
        actor=request.user,
        action="risk_alert.read",
        target=alert,
        patient=course.care_team.patient,
        request=request,
    )
    return render(
        request,
        "safety/alert.html",
        {
            "alert": alert,
            "course": course,
            "form": form,
            "can_acknowledge": can_acknowledge,
            "overdue": actions.is_overdue(alert),
        },
        status=status,
    )


# Safety plan -------------------------------------------------------------------------------------


def _initial(plan) -> dict:
    if plan is None:
        return {}
    return {field: getattr(plan, field) for field in SAFETY_PLAN_FIELDS} | {"country": plan.country}


def _safety_plan_page(request, course, *, can_write: bool, template: str, redirect_to):
    plan = current_safety_plan_for(request.user, course)
    form = SafetyPlanForm(posted(request), initial=_initial(plan))
    status = 200
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied("Only the patient and their therapist can change the safety plan.")
        if form.is_valid():
            try:
                actions.save_safety_plan(
                    actor=request.user, course=course, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, "Safety plan saved. The earlier versions are kept.")
                return redirect_to
        status = 400
    record(
        actor=request.user,
        action="safety_plan.read",
        target=plan or course,
        patient=course.care_team.patient,
        request=request,
    )
    context = {
        "course": course,
        "plan": plan,
        "form": form,
        "can_write": can_write,
        **crisis_context(plan.country if plan else None),
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def safety_plan(request, course_id):
    course = get_course_for(request.user, course_id)
    return _safety_plan_page(
        request,
        course,
        can_write=is_course_therapist(request.user, course),
        template="safety/safety_plan.html",
        redirect_to=redirect("safety_plan", course.pk),
    )


@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def safety_plan_versions(request, course_id):
    course = get_course_for(request.user, course_id)
    return _versions_page(request, course, "safety/versions.html")


@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def safety_plan_version(request, course_id, version):
    course = get_course_for(request.user, course_id)
    return _version_page(request, course, version, "safety/version.html")


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_safety_plan(request):
    course = my_course_or_404(request.user)
    return _safety_plan_page(
        request,
        course,
        can_write=True,
        template="safety/my_safety_plan.html",
        redirect_to=redirect("my_safety_plan"),
    )


@require_GET
@role_required(Role.PATIENT)
def my_safety_plan_versions(request):
    return _versions_page(request, my_course_or_404(request.user), "safety/versions.html")


@require_GET
@role_required(Role.PATIENT)
def my_safety_plan_version(request, version):
    return _version_page(request, my_course_or_404(request.user), version, "safety/version.html")


def _versions_page(request, course, template):
    versions = list(safety_plan_versions_for(request.user, course).order_by("-version"))
    record(
        actor=request.user,
        action="safety_plan.versions",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    return render(
        request, template, {"course": course, "versions": versions, "mine": request.user.is_patient}
    )


def _version_page(request, course, version, template):
    plan = get_safety_plan_version_for(request.user, course, version)
    record(
        actor=request.user,
        action="safety_plan.read",
        target=plan,
        patient=course.care_team.patient,
        request=request,
    )
    return render(request, template, {"course": course, "plan": plan, "mine": request.user.is_patient})


# Crisis lines (practice admins) --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def crisis_lines(request):
    form = CrisisLineForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.save_crisis_line(actor=request.user, line=form.instance, request=request)
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, "Crisis line added.")
                return redirect("crisis_lines")
        status = 400
    lines = CrisisLine.objects.all()
    return render(request, "safety/crisis_lines.html", {"form": form, "lines": lines}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def crisis_line_edit(request, line_id):
    try:
        line = CrisisLine.objects.get(pk=line_id)
    except (CrisisLine.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such crisis line.") from None
    if request.method == "POST" and request.POST.get("intent") == "delete":
        actions.delete_crisis_line(actor=request.user, line=line, request=request)
        messages.success(request, "Crisis line removed.")
        return redirect("crisis_lines")
    form = CrisisLineForm(posted(request), instance=line)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.save_crisis_line(actor=request.user, line=form.instance, request=request)
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, "Crisis line saved.")
                return redirect("crisis_lines")
        status = 400
    return render(request, "safety/crisis_line.html", {"form": form, "line": line}, status=status)
