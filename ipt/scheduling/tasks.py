"""Background tasks (django-tasks): run by `manage.py db_worker`, or by
`manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler` when the RQ backend is on.
"""

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tasks import task

from ipt.scheduling import emails
from ipt.scheduling.models import Appointment, ReminderDelivery

logger = logging.getLogger(__name__)


@task()
def send_reminder(appointment_id: str, offset_minutes: int, start_iso: str) -> str:
    """Remind both people of a session, unless it was cancelled or moved since this was queued,
    and only once (a retried or duplicated task finds the delivery row and stops)."""
    start = datetime.fromisoformat(start_iso)
    try:
        appointment = Appointment.objects.select_related("therapist", "patient").get(pk=appointment_id)
    except (Appointment.DoesNotExist, ValidationError):
        return "gone"
    if not appointment.is_live:
        return f"not sent: {appointment.status}"
    if appointment.start != start:
        return "not sent: moved"
    try:
        with transaction.atomic():
            delivery = ReminderDelivery.objects.create(
                appointment=appointment, offset_minutes=offset_minutes, start=start
            )
    except IntegrityError:
        return "already sent"
    try:
        emails.send_reminder(appointment)
    except Exception:
        # Let a retry send it: the delivery row only stands for a reminder that went out.
        delivery.delete()
        raise
    return "sent"
