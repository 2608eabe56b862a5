from django.core.management.base import BaseCommand, CommandError

from ipt.audit.actions import verify_chain
from ipt.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit hash chain; exit non-zero naming the first bad row."

    def handle(self, *args, **options):
        problem = verify_chain()
        if problem:
            raise CommandError(f"Audit chain broken at event {problem.event_id}: {problem.reason}.")
        self.stdout.write(f"Audit chain intact: {AuditEvent.objects.count()} events verified.")
