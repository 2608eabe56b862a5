from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ipt.audit.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write a backup of every table (sessions excepted) to PATH, atomically: a ZIP with data.jsonl "
        "and a manifest (format version, time, row counts, SHA-256). Encrypted fields stay encrypted; "
        "the file still holds password hashes and TOTP secrets, so keep it private."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="where to write the backup (replaced if it exists)")

    def handle(self, *args, path: Path, **options):
        try:
            result = write_backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        rows = sum(info["rows"] for info in manifest["tables"].values())
        self.stdout.write(
            f"Backed up {rows} row(s) in {len(manifest['tables'])} table(s) to {result.path} "
            f"(SHA-256 {manifest['content']['sha256']}; audit chain {manifest['audit_chain']})."
        )
        if manifest["audit_chain"] != "intact":
            self.stderr.write(f"WARNING: the audit chain is {manifest['audit_chain']}.")
