"""Forms for the messaging pages: the compose form of a thread and the new-conversation form.

Files are checked for count and size before they are read into memory; their type is checked
by their bytes in ``attachments.check`` (inside the actions), whose refusal the view shows here.
"""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from ipt.accounts.models import CareTeam
from ipt.messaging.actions import SUBJECT_MAX_CHARS
from ipt.messaging.attachments import ALLOWED_NAMES, Upload

ACCEPT = ".pdf,.png,.jpg,.jpeg,.txt"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files; cleaned to a list of ``Upload`` (name and bytes)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True, "accept": ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        limit = settings.IPT_MESSAGE_ATTACHMENT_MAX_BYTES
        if len(files) > settings.IPT_MESSAGE_ATTACHMENTS_MAX:
            raise ValidationError(
                f"Attach at most {settings.IPT_MESSAGE_ATTACHMENTS_MAX} files to one message."
            )
        uploads = []
        for file in files:
            name = (file.name or "attachment")[:200]
            if file.size > limit:
                raise ValidationError(
                    f"“{name}” is larger than {limit // (1024 * 1024)} MB, the limit for a file."
                )
            uploads.append(Upload(name, file.read()))
        return uploads


def _body_field() -> forms.CharField:
    limit = settings.IPT_MESSAGE_MAX_CHARS
    return forms.CharField(
        label="Message",
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": 4, "id": "id_body"}),
        error_messages={
            "required": "Write a message before sending it.",
            "max_length": f"A message can be at most {limit:,} characters long.",
        },
    )


def _files_field() -> MultipleFileField:
    return MultipleFileField(
        label="Attach files (optional)",
        help_text=(
            f"Up to {settings.IPT_MESSAGE_ATTACHMENTS_MAX} files, "
            f"{settings.IPT_MESSAGE_ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB each: {ALLOWED_NAMES}."
        ),
    )


class ComposeForm(forms.Form):
    """A message in an existing conversation; a fresh client id per render makes a resend harmless."""

    body = _body_field()
    client_id = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"required": "Reload the page and try again."}
    )
    files = _files_field()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"client_id": uuid.uuid4()})
        super().__init__(*args, **kwargs)
        self.fields["body"] = _body_field()
        self.fields["files"] = _files_field()


class CareTeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CareTeam) -> str:
        return obj.patient.display_name


class NewThreadForm(ComposeForm):
    """A new conversation. A therapist chooses a patient of their caseload; a patient writes to
    their own care team (no choice)."""

    subject = forms.CharField(
        label="Subject",
        max_length=SUBJECT_MAX_CHARS,
        help_text="A few words; it is shown in both inboxes (it is never sent by email).",
        error_messages={
            "required": "Give the conversation a subject.",
            "max_length": f"A subject can be at most {SUBJECT_MAX_CHARS} characters long.",
        },
    )
    field_order = ["care_team", "subject", "body", "files", "client_id"]

    def __init__(self, *args, care_teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if care_teams is not None:
            self.fields["care_team"] = CareTeamChoiceField(
                label="Patient",
                queryset=care_teams,
                empty_label="Choose a patient",
                error_messages={
                    "required": "Choose the patient you are writing to.",
                    "invalid_choice": "Choose a patient of your caseload.",
                },
            )
        self.order_fields(self.field_order)
