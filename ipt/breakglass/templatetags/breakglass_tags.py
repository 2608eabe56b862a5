from django import template

from ipt.accounts.models import Role
from ipt.breakglass import access

register = template.Library()


@register.inclusion_tag("breakglass/_home_notices.html")
def break_glass_home_notices(user) -> dict:
    """Therapists: recent emergency access to their patients (their home shows them from the cached
    caseload page). Supervisors: how many await review."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if user.role == Role.THERAPIST:
        return {"user": user, "notices": list(access.notices_for_therapist(user))}
    if user.role == Role.SUPERVISOR:
        return {"user": user, "awaiting_review": access.awaiting_review_count(user)}
    return {}
