"""Append-only audit trail, each row chained to the previous one by SHA-256."""

import hashlib
import json

from django.db import models


class AuditEvent(models.Model):
    # Every page view appends a row: each index is a page more written per view. The actor's and the
    # patient's lookups use the two indexes in Meta (their first column), not indexes of their own.
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["patient", "-at"]), models.Index(fields=["actor", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email or 'anonymous'} {self.action}"

    def payload(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "actor": str(self.actor_id or ""),
            "actor_email": self.actor_email,
            "actor_role": self.actor_role,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "patient": str(self.patient_id or ""),
            "ip": self.ip or "",
            "detail": self.detail,
        }

    def canonical_payload(self) -> str:
        return json.dumps(self.payload(), sort_keys=True, separators=(",", ":"))

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical_payload()).encode()).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")


class AuditHead(models.Model):
    """The newest link of the chain, so that deleting the last rows is detected too."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
