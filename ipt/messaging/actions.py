"""Every change to messages: start a thread, send, mark read. Each is one transaction and one
audit event; wake-ups and notification emails go out after it commits.

Sends in one thread are serialised by a row lock on the thread, so ids in a thread grow in commit
order and "everything after id N" never skips a message committed late.
"""

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipt.accounts.models import CareTeam, User
from ipt.audit.actions import record
from ipt.messaging import attachments, emails, events, office_hours
from ipt.messaging.access import may_start_thread, may_write
from ipt.messaging.attachments import Upload
from ipt.messaging.models import Attachment, Message, ReadState, Thread

SUBJECT_MAX_CHARS = 120
# One automatic reply per out-of-hours stretch: not again while the last one is this recent and
# the therapist has not written since.
AUTO_REPLY_QUIET = timedelta(hours=12)


def _client_uuid(client_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(client_id))
    except ValueError:
        raise ValidationError("The message has no valid client id.") from None


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationError("Write a message before sending it.")
    if len(text) > settings.IPT_MESSAGE_MAX_CHARS:
        raise ValidationError(f"A message can be at most {settings.IPT_MESSAGE_MAX_CHARS} characters long.")
    return text


def start_thread(
    *,
    author: User,
    care_team: CareTeam,
    subject: str,
    body: str,
    client_id,
    files: Sequence[Upload] = (),
    request=None,
) -> Thread:
    """A new conversation with its first message."""
    if not may_start_thread(author, care_team):
        raise PermissionDenied("Only the patient and their therapist can start a conversation.")
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError("Give the conversation a subject.")
    if len(subject) > SUBJECT_MAX_CHARS:
        raise ValidationError(f"A subject can be at most {SUBJECT_MAX_CHARS} characters long.")
    text = _clean_body(body)
    checked = attachments.check(list(files))
    client_uuid = _client_uuid(client_id)
    # A resent form (double click, retry after a lost response) returns the conversation it started.
    stored = Message.objects.filter(sender=author, client_id=client_uuid).select_related("thread").first()
    if stored is not None:
        return _same_care_team(stored.thread, care_team)
    try:
        with transaction.atomic():
            thread = Thread.objects.create(care_team=care_team, subject=subject, started_by=author)
            record(
                actor=author,
                action="message.thread.start",
                target=thread,
                patient=care_team.patient,
                request=request,
            )
            _store(author, thread, client_uuid, text, checked, request)
    except IntegrityError:
        stored = Message.objects.filter(sender=author, client_id=client_uuid).select_related("thread").first()
        if stored is None:
            raise
        return _same_care_team(stored.thread, care_team)
    return thread


def _same_care_team(thread: Thread, care_team: CareTeam) -> Thread:
    if thread.care_team_id != care_team.pk:
        raise ValidationError("This client id was already used for another conversation.")
    return thread


def send_message(
    *, sender: User, thread: Thread, client_id, body: str, files: Sequence[Upload] = (), request=None
) -> tuple[Message, bool]:
    """Store a message (idempotent per client id) and whether it is new; a resend returns the
    stored one and sends nothing again."""
    if not may_write(sender, thread):
        raise PermissionDenied("Only the patient and their therapist can write in this conversation.")
    client_uuid = _client_uuid(client_id)
    text = _clean_body(body)
    checked = attachments.check(list(files))
    stored = Message.objects.filter(sender=sender, client_id=client_uuid).first()
    if stored is not None:
        return _same_thread(stored, thread), False
    try:
        with transaction.atomic():
            Thread.objects.select_for_update().filter(pk=thread.pk).first()
            return _store(sender, thread, client_uuid, text, checked, request), True
    except IntegrityError:
        stored = Message.objects.get(sender=sender, client_id=client_uuid)
        return _same_thread(stored, thread), False


def _same_thread(message: Message, thread: Thread) -> Message:
    if message.thread_id != thread.pk:
        raise ValidationError("This client id was already used for another conversation.")
    return message


def _store(sender: User, thread: Thread, client_uuid, text: str, checked, request=None) -> Message:
    now = timezone.now()
    message = Message.objects.create(
        thread=thread, sender=sender, client_id=client_uuid, body=text, sent_at=now
    )
    for upload, content_type in checked:
        Attachment.objects.create(
            message=message,
            file_name=upload.name,
            content_type=content_type,
            size=len(upload.data),
            content_base64=base64.b64encode(upload.data).decode(),
        )
    auto_reply = _auto_reply_if_closed(sender, thread, now)
    last = auto_reply or message
    Thread.objects.filter(pk=thread.pk).update(last_message_at=last.sent_at)
    _advance_read(thread, sender, message.id)
    record(
        actor=sender,
        action="message.send",
        target=message,
        patient=thread.care_team.patient,
        request=request,
        detail={"thread": str(thread.pk), "attachments": len(checked), "auto_reply": auto_reply is not None},
    )
    recipients = [
        pk for pk in (thread.care_team.patient_id, thread.care_team.therapist_id) if pk != sender.pk
    ]
    transaction.on_commit(partial(events.message_stored, thread.pk, last.id, recipients))
    transaction.on_commit(partial(emails.notify_new_message, message.pk))
    return message


def _auto_reply_if_closed(sender: User, thread: Thread, now: datetime) -> Message | None:
    therapist = thread.care_team.therapist
    if sender.pk != thread.care_team.patient_id or office_hours.is_open(therapist, now):
        return None
    recent = (
        Message.objects.filter(thread=thread, sent_at__gte=now - AUTO_REPLY_QUIET)
        .filter(is_auto_reply=True)
        .order_by("-id")
        .first()
    )
    if (
        recent is not None
        and not Message.objects.filter(thread=thread, id__gt=recent.id, sender=therapist).exists()
    ):
        return None
    body = emails.auto_reply_text(
        therapist, thread.care_team.patient, office_hours.next_opening(therapist, now)
    )
    return Message.objects.create(thread=thread, sender=None, body=body, is_auto_reply=True, sent_at=now)


def _advance_read(thread: Thread, user: User, up_to: int) -> ReadState:
    state, _ = ReadState.objects.get_or_create(thread=thread, user=user)
    if up_to > state.last_read_id:
        state.last_read_id = up_to
        state.read_at = timezone.now()
        state.save(update_fields=["last_read_id", "read_at"])
    return state


def mark_read(*, reader: User, thread: Thread, up_to: int, request=None) -> int:
    """The reader has seen every message up to id ``up_to`` (never moves back). Returns the mark."""
    if not may_write(reader, thread):
        # A supervisor's reading is audited on the page but is not a read receipt.
        return 0
    newest = Message.objects.filter(thread=thread).order_by("-id").values_list("id", flat=True).first() or 0
    up_to = min(max(int(up_to), 0), newest)
    with transaction.atomic():
        before = (
            ReadState.objects.filter(thread=thread, user=reader)
            .values_list("last_read_id", flat=True)
            .first()
        )
        state = _advance_read(thread, reader, up_to)
        if before is None or state.last_read_id > before:
            record(
                actor=reader,
                action="message.read",
                target=thread,
                patient=thread.care_team.patient,
                request=request,
                detail={"up_to": state.last_read_id},
            )
            transaction.on_commit(partial(events.thread_read, thread.pk, reader.pk, state.last_read_id))
    return state.last_read_id
