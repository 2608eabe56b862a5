"""Risk alerts, safety plans and crisis resources."""

import uuid

from django.core.exceptions import ValidationError
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


class CrisisLineKind(models.TextChoices):
    CRISIS = "crisis", "Crisis line"
    EMERGENCY = "emergency", "Emergency number"
    FALLBACK = "fallback", "Fallback (anywhere)"


class CrisisLine(models.Model):
    """One row of the practice's crisis-resources table (edited by practice admins)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=CrisisLineKind.choices, default=CrisisLineKind.CRISIS)
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO 3166-1 alpha-2 code, e.g. US, GB, DE (blank only for the fallback)",
    )
    region = models.CharField(max_length=100, blank=True, help_text="Optional: a state or province")
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=50, blank=True)
    text = models.CharField(max_length=100, blank=True, help_text="Text/SMS number or instructions")
    url = models.URLField(blank=True)
    notes = models.CharField(max_length=300, blank=True)
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower numbers are shown first")

    class Meta:
        ordering = ["country", "region", "priority", "name"]

    def __str__(self) -> str:
        return f"{self.country or 'anywhere'}: {self.name}"

    def clean(self) -> None:
        self.country = (self.country or "").strip().upper()
        if self.kind == CrisisLineKind.FALLBACK:
            if self.country:
                raise ValidationError({"country": "The fallback applies anywhere: leave the country blank."})
        elif len(self.country) != 2 or not ("A" <= self.country[0] <= "Z" and "A" <= self.country[1] <= "Z"):
            raise ValidationError(
                {"country": "Enter a two-letter country code (ISO 3166-1), such as US or DE."}
            )
        if self.kind != CrisisLineKind.FALLBACK and not (self.phone or self.text or self.url):
            raise ValidationError("Give a phone number, a text number or a web address.")


SAFETY_PLAN_SECTIONS: list[tuple[str, str, str]] = [
    # (field, heading in plain words, prompt)
    (
        "warning_signs",
        "My warning signs",
        "Thoughts, feelings, situations or behaviour that tell me a crisis may be starting.",
    ),
    (
        "coping_strategies",
        "Things I can do on my own",
        "Ways to take my mind off my problems without contacting anyone.",
    ),
    (
        "distractions",
        "People and places that take my mind off things",
        "Who I can be with, and where I can go, to feel a bit better.",
    ),
    (
        "people_to_ask",
        "People I can ask for help",
        "Names and phone numbers of people I can tell how I feel.",
    ),
    (
        "professionals",
        "Professionals and crisis lines",
        "My therapist, my doctor, and the crisis lines I can call or text.",
    ),
    (
        "safe_surroundings",
        "Making my surroundings safe",
        "What I will do to keep things I could hurt myself with out of reach.",
    ),
    ("reasons_for_living", "My reasons for living", "The people, hopes and things that matter most to me."),
]
SAFETY_PLAN_FIELDS = [field for field, _, _ in SAFETY_PLAN_SECTIONS]


class SafetyPlanVersion(models.Model):
    """A safety plan made together; every save is a new version and old ones are kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        "care.TreatmentCourse", on_delete=models.PROTECT, related_name="safety_plan_versions"
    )
    version = models.PositiveIntegerField()
    country = models.CharField(max_length=2, blank=True, help_text="Where the patient is, for crisis lines")
    warning_signs = EncryptedTextField(blank=True)
    coping_strategies = EncryptedTextField(blank=True)
    distractions = EncryptedTextField(blank=True)
    people_to_ask = EncryptedTextField(blank=True)
    professionals = EncryptedTextField(blank=True)
    safe_surroundings = EncryptedTextField(blank=True)
    reasons_for_living = EncryptedTextField(blank=True)
    written_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["course", "version"], name="safety_plan_version_unique"),
        ]

    def sections(self) -> list[dict]:
        return [
            {"field": field, "heading": heading, "prompt": prompt, "text": getattr(self, field)}
            for field, heading, prompt in SAFETY_PLAN_SECTIONS
        ]
