"""The pre-session summary page (staff): what happened since the last held session, on one page."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import get_course_for
from ipt.practice.summary import pre_session_summary


@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def course_summary(request, course_id):
    course = get_course_for(request.user, course_id)
    summary = pre_session_summary(request.user, course)
    record(
        actor=request.user,
        action="course.summary.read",
        target=course,
        patient=course.care_team.patient,
        request=request,
        detail={
            "since": summary.since.isoformat(),
            "open_alerts": len(summary.open_alerts),
            "measures": len(summary.measures),
        },
    )
    return render(request, "practice/course_summary.html", {"course": course, "summary": summary})
