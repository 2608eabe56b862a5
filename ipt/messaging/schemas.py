"""The messaging API's shapes, and the one function that turns a message into its JSON form
(the same fields as the websocket's message frame, without ``type``)."""

from datetime import UTC, datetime
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict

from ipt.accounts.models import User
from ipt.messaging.models import Message


class ParticipantOut(Schema):
    id: UUID
    name: str


class ThreadOut(Schema):
    id: UUID
    subject: str
    care_team: UUID
    patient: ParticipantOut
    therapist: ParticipantOut
    started_by: UUID
    created_at: datetime
    last_message_at: datetime
    unread: int = Field(description="Messages from others after what the caller has read")
    may_write: bool = Field(description="False for a supervisor: they read only")


class ThreadStartIn(Schema):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not ignored

    care_team: UUID | None = Field(
        None,
        description="Therapists: the care team of the patient written to. Patients: leave out (their own).",
    )
    subject: str = Field(max_length=1000)
    body: str = Field(max_length=100_000)
    client_id: UUID = Field(description="A fresh UUID chosen by the client; a resend is stored once")


class MessageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    client_id: UUID = Field(description="A fresh UUID per message; resending it returns the stored message")
    body: str = Field(max_length=100_000)


class ReadIn(Schema):
    model_config = ConfigDict(extra="forbid")

    up_to: int = Field(ge=0, le=2**62, description="The highest message id the caller has seen")


class ReadOut(Schema):
    up_to: int = Field(description="The caller's read mark (it never moves back)")


class AttachmentOut(Schema):
    id: UUID
    name: str
    size: int
    content_type: str
    url: str


class MessageOut(Schema):
    id: int
    thread: UUID
    sender: UUID | None = Field(description="None: the automatic out-of-hours reply")
    sender_name: str
    sender_role: str | None
    mine: bool
    auto_reply: bool
    body: str
    sent_at: datetime
    attachments: list[AttachmentOut]


class ThreadStartOut(Schema):
    thread: ThreadOut
    message: MessageOut


def message_data(message: Message, viewer: User) -> dict:
    """A message as the API and the websocket give it (attachments prefetched or fetched)."""
    sender = message.sender
    return {
        "id": message.id,
        "thread": message.thread_id,
        "sender": sender.pk if sender else None,
        "sender_name": sender.display_name if sender else "Automatic reply",
        "sender_role": sender.role if sender else None,
        "mine": sender is not None and sender.pk == viewer.pk,
        "auto_reply": message.is_auto_reply,
        "body": message.body,
        "sent_at": message.sent_at.astimezone(UTC),
        "attachments": [
            {
                "id": attachment.pk,
                "name": attachment.file_name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "url": reverse("attachment_download", args=[attachment.pk]),
            }
            for attachment in message.attachments.all()
        ],
    }
