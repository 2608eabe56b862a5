"""Risk alerts, safety plans and crisis resources."""

import uuid

from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class AlertReason(models.TextChoices):
    SUICIDAL_IDEATION = "suicidal_ideation", "Possible suicidal thoughts"
    HIGH_RISK = "high_risk", "High risk screen"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Needs attention"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class RiskAlert(models.Model):
    """Raised in the same transaction as the answer that triggered it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey("care.TreatmentCourse", on_delete=models.PROTECT, related_name="risk_alerts")
    reason = models.CharField(max_length=30, choices=AlertReason.choices)
    source = models.CharField(max_length=80, help_text="What raised it, e.g. 'phq9 response <id>'")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    follow_up = EncryptedTextField(blank=True, help_text="What was done")
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
