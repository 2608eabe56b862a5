from django import template

from ipt.safety.access import open_alerts_for

register = template.Library()


@register.simple_tag
def open_alert_count(user) -> int:
    """Open alerts on the user's caseload (0 for patients and admins)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return open_alerts_for(user).count()
