from django import template

from ipt.accounts.models import Role
from ipt.breakglass import access

register = template.Library()


@register.inclusion_tag("breakglass/_home_notices.html")
def break_glass_home_notices(user) -> dict:
    """Supervisors' home: how many uses of emergency access await their review. (A therapist's
    home shows the notices about their patients from the cached caseload, accounts/caseload.py.)"""
    if getattr(user, "is_authenticated", False) and user.role == Role.SUPERVISOR:
        return {"user": user, "awaiting_review": access.awaiting_review_count(user)}
    return {}
