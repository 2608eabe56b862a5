"""Small helpers for the messaging tests: conversations, messages and files of each kind."""

import uuid
from datetime import time

from ipt.messaging import actions
from ipt.messaging.attachments import Upload
from ipt.scheduling.models import WeeklyHours

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
TEXT = b"Notes for Thursday: what I want to say.\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def start(
    author, care_team, *, subject="Sleep this week", body="Hello, a question about homework.", files=()
):
    return actions.start_thread(
        author=author,
        care_team=care_team,
        subject=subject,
        body=body,
        client_id=uuid.uuid4(),
        files=list(files),
    )


def send(sender, thread, body="Another message.", *, files=(), client_id=None):
    message, _created = actions.send_message(
        sender=sender, thread=thread, client_id=client_id or uuid.uuid4(), body=body, files=list(files)
    )
    return message


def always_open(therapist) -> None:
    """Working hours every day all day: no automatic replies get in the way of a test."""
    for weekday in range(7):
        WeeklyHours.objects.create(therapist=therapist, weekday=weekday, starts=time(0), ends=time.max)


def upload(name: str, data: bytes) -> Upload:
    return Upload(name, data)
