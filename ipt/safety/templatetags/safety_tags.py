from django import template

from ipt.accounts.models import Role
from ipt.safety.access import open_alerts_for

register = template.Library()


@register.simple_tag(takes_context=True)
def open_alert_count(context, user) -> int:
    """Open alerts on the user's caseload (0 for patients and admins). A therapist's are counted once
    per change of their caseload; a page that has them already passes ``open_alert_count``."""
    if not getattr(user, "is_authenticated", False):
        return 0
    if "open_alert_count" in context:
        return context["open_alert_count"]
    if user.role == Role.THERAPIST:
        from ipt.accounts import caseload

        return caseload.open_alert_count(user)
    return open_alerts_for(user).count()
