from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ipt.audit.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into this database, in one transaction. The "
        "database must be migrated to the backup's migrations and empty (what `migrate` itself creates "
        "is replaced); --force replaces whatever it holds. A damaged file changes nothing. Afterwards "
        "every table's row count must equal the manifest and the audit chain must verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a file written by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="delete every row of a non-empty database and replace it with the backup (in the same "
            "transaction: if the restore fails nothing changes)",
        )

    def handle(self, *args, path: Path, force: bool, **options):
        try:
            result = restore_backup(path, force=force)
        except BackupError as error:
            raise CommandError(f"Restore refused, nothing changed: {error}") from error
        manifest = result.manifest
        rows = sum(result.counts.values())
        self.stdout.write(
            f"Restored {rows} row(s) in {len(result.counts)} table(s) from {path} "
            f"(backup made {manifest['created_at']} on {manifest.get('database_vendor', '?')}); "
            "every table's count equals the manifest."
        )
        if result.replaced:
            self.stdout.write(f"Replaced the rows that were there in: {', '.join(result.replaced)}.")
        call_command("verify_audit_chain", stdout=self.stdout, stderr=self.stderr)
