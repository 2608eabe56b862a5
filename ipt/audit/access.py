"""Which audit events a user may search: admins all, supervisors those of their teams."""

from django.db.models import Q, QuerySet

from ipt.accounts.models import Role, User
from ipt.audit.models import AuditEvent


def audit_events_for(user: User) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if not user.is_authenticated:
        return events.none()
    if user.role == Role.ADMIN:
        return events
    if user.role == Role.SUPERVISOR:
        team = Q(actor=user) | Q(actor__supervisor=user) | Q(patient__care_team__therapist__supervisor=user)
        return events.filter(team)
    return events.none()
