"""Emergency ("break-glass") access: a time-limited, read-only grant to one patient's summary.

A grant is opened by clinical staff who are not on the patient's care team, with a reason. It is
flagged for review from the moment it opens until a supervisor marks it reviewed. The reason and
the review comment may describe the emergency, so they are encrypted like other clinical text.
"""

import uuid

from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class BreakGlassGrant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    care_team = models.ForeignKey(
        "accounts.CareTeam", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = EncryptedTextField()
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["opened_by", "-opened_at"]),
            models.Index(fields=["reviewed_at", "-opened_at"]),
        ]

    def __str__(self) -> str:
        return f"Emergency access {self.pk}"

    def is_active(self, now=None) -> bool:
        return (now or timezone.now()) < self.expires_at

    @property
    def is_flagged_for_review(self) -> bool:
        return self.reviewed_at is None
