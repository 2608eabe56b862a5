"""The only road to alerts and safety plans: every query starts from the user's courses.

Alerts are for staff on the care team (therapist, supervisor); patients and admins see none.
Safety plans are read by the whole care team. "Missing" and "not yours" look the same (Http404).
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from ipt.accounts.models import Role, User
from ipt.care.access import courses_for
from ipt.care.models import TreatmentCourse
from ipt.safety.models import AlertStatus, RiskAlert, SafetyPlanVersion


def alerts_for(user: User) -> QuerySet[RiskAlert]:
    if not user.is_authenticated or user.role not in (Role.THERAPIST, Role.SUPERVISOR):
        return RiskAlert.objects.none()
    return RiskAlert.objects.filter(course__in=courses_for(user)).select_related(
        "course__care_team__patient", "course__care_team__therapist", "acknowledged_by", "escalated_to"
    )


def open_alerts_for(user: User) -> QuerySet[RiskAlert]:
    return alerts_for(user).filter(status=AlertStatus.OPEN)


def get_alert_for(user: User, alert_id) -> RiskAlert:
    try:
        return alerts_for(user).get(pk=alert_id)
    except (RiskAlert.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such alert.") from None


def safety_plan_versions_for(user: User, course: TreatmentCourse) -> QuerySet[SafetyPlanVersion]:
    return SafetyPlanVersion.objects.filter(course=course, course__in=courses_for(user)).select_related(
        "written_by"
    )


def current_safety_plan_for(user: User, course: TreatmentCourse) -> SafetyPlanVersion | None:
    return safety_plan_versions_for(user, course).order_by("-version").first()


def get_safety_plan_version_for(user: User, course: TreatmentCourse, version: int) -> SafetyPlanVersion:
    try:
        return safety_plan_versions_for(user, course).get(version=version)
    except (SafetyPlanVersion.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such version.") from None
