from django import template

from ipt.telehealth.access import location_summary, may_read_location

register = template.Library()


@register.simple_tag(takes_context=True)
def location_check_for(context, appointment):
    """{"may_read": bool, "summary": dict | None}: the location check for staff who may read the
    appointment (the read is audited). Patients may not: the include shows nothing to them.
    """
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if appointment is None or user is None or not may_read_location(user, appointment):
        return {"may_read": False, "summary": None}
    return {"may_read": True, "summary": location_summary(appointment, viewer=user, request=request)}
