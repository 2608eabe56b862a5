"""The video session around an Appointment: consent, where the patient is, and in-session chat."""

import uuid

from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class ConsentDocument(models.Model):
    """A version of the telehealth consent text; the newest published one must be signed."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class ConsentSignature(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="signatures")
    patient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="telehealth_consents")
    typed_name = EncryptedTextField()
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["document", "patient"], name="one_signature_per_version")
        ]


class LocationCheck(models.Model):
    """Where the patient is for this session, confirmed at join (for emergencies and licensing)."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="location_check"
    )
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    region = models.CharField(max_length=10, blank=True, help_text="ISO 3166-2, e.g. US-NY")
    emergency_address = EncryptedTextField()
    is_private = models.BooleanField(default=False)
    callback_number = EncryptedTextField()
    confirmed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Location for {self.appointment_id}"

    @property
    def jurisdiction(self) -> str:
        return self.region or self.country


class ChatMessage(models.Model):
    """In-session chat, stored with the Encounter. The integer id orders and resumes the stream."""

    id = models.BigAutoField(primary_key=True)
    encounter = models.ForeignKey("visits.Encounter", on_delete=models.PROTECT, related_name="chat_messages")
    sender = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField(help_text="Chosen by the sender's browser: a resent message is stored once")
    body = EncryptedTextField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sender", "client_id"], name="chat_message_sent_once")]
