"""Secure messages between a patient and their care team, between sessions.

The database is the store of record: a message exists once it is saved here, and the integer id
orders a thread and lets a reconnecting client resume after the last id it saw. Subjects, bodies,
attachment names and contents are encrypted.
"""

import base64
import uuid

from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class Thread(models.Model):
    """A conversation of one care team: the patient and their therapist write, the supervisor reads."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    care_team = models.ForeignKey("accounts.CareTeam", on_delete=models.PROTECT, related_name="threads")
    subject = EncryptedTextField()
    started_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_message_at"]

    def __str__(self) -> str:
        return f"Thread {self.pk}"


class Message(models.Model):
    """One message. ``sender`` is empty for the automatic out-of-hours reply."""

    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_id = models.UUIDField(
        null=True, blank=True, help_text="Chosen by the sender: a resend is stored once"
    )
    body = EncryptedTextField()
    is_auto_reply = models.BooleanField(default=False)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sender", "client_id"], name="message_sent_once")]
        # A thread's messages after an id (unread counts, resuming after the last id seen): without
        # it PostgreSQL intersected the thread's rows with every newer message (issue 7).
        indexes = [models.Index(fields=["thread", "id"], name="message_thread_after_id")]

    def __str__(self) -> str:
        return f"Message {self.pk}"


class Attachment(models.Model):
    """A file sent with a message; type and size are checked before it is stored (encrypted)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file_name = EncryptedTextField()
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content_base64 = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    @property
    def content(self) -> bytes:
        return base64.b64decode(self.content_base64)


class ReadState(models.Model):
    """How far one member has read a thread, and the last message they were emailed about."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)
    notified_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="one_read_state_per_member")]
