"""What may be attached: a few document and image types, recognised by their first bytes.

The name and the browser's content type are not trusted; the type stored (and served back) is the
one the bytes show. Anything else is refused with a message that says what is allowed.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

ALLOWED = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "text/plain": "plain text",
}
ALLOWED_NAMES = "PDF, PNG, JPEG or plain text"


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return "text/plain"


def check(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    """Each upload with its recognised type, or ValidationError naming the file and the limit."""
    limit = settings.IPT_MESSAGE_ATTACHMENT_MAX_BYTES
    if len(uploads) > settings.IPT_MESSAGE_ATTACHMENTS_MAX:
        raise ValidationError(f"Attach at most {settings.IPT_MESSAGE_ATTACHMENTS_MAX} files to one message.")
    checked = []
    for upload in uploads:
        name = (upload.name or "attachment").strip()[:200] or "attachment"
        if not upload.data:
            raise ValidationError(f"“{name}” is empty.")
        if len(upload.data) > limit:
            raise ValidationError(
                f"“{name}” is larger than {limit // (1024 * 1024)} MB, the limit for a file."
            )
        content_type = sniff(upload.data)
        if content_type is None:
            raise ValidationError(f"“{name}” is not a file type that can be sent: use {ALLOWED_NAMES}.")
        checked.append((Upload(name, upload.data), content_type))
    return checked
