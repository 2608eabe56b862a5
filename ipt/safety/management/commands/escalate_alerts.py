from django.core.management.base import BaseCommand
from django.utils import timezone

from ipt.safety.actions import escalate_overdue_alerts


class Command(BaseCommand):
    help = "Escalate risk alerts left unacknowledged past IPT_ALERT_ESCALATE_AFTER_MINUTES (run from cron)."

    def handle(self, *args, **options):
        escalated = escalate_overdue_alerts(timezone.now())
        self.stdout.write(f"Escalated {len(escalated)} alert(s).")
