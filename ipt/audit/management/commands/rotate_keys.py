from django.core.management.base import BaseCommand
from django.db import transaction

from ipt.audit.actions import record
from ipt.lib.crypto import encrypted_fields

BATCH = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the newest key in FIELD_ENCRYPTION_KEYS. "
        "Afterwards the old keys can be removed from the list."
    )

    def handle(self, *args, **options):
        total = 0
        for model, field in encrypted_fields():
            rows = model._base_manager.exclude(**{f"{field.attname}__isnull": True})
            pks = list(rows.values_list("pk", flat=True))
            for start in range(0, len(pks), BATCH):
                total += self._rotate_batch(model, field.attname, pks[start : start + BATCH])
        record(actor=None, action="keys.rotate", detail={"values_rewritten": total})
        self.stdout.write(f"Re-encrypted {total} value(s) with the newest key.")

    @staticmethod
    def _rotate_batch(model, attname: str, pks: list) -> int:
        # Loading decrypts with whichever key fits; saving encrypts with the newest one.
        with transaction.atomic():
            rows = model._base_manager.filter(pk__in=pks).values_list("pk", attname)
            for pk, plaintext in list(rows):
                if plaintext:
                    model._base_manager.filter(pk=pk).update(**{attname: plaintext})
        return len(pks)
