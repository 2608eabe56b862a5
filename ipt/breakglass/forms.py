from django import forms
from django.conf import settings


def _min_reason() -> int:
    return int(getattr(settings, "IPT_BREAK_GLASS_MIN_REASON", 20))


class EmergencyAccessForm(forms.Form):
    email = forms.EmailField(
        label="The patient's email address",
        help_text="Exactly as on their account. There is no search of patients, on purpose.",
        max_length=254,
        error_messages={
            "required": "Enter the patient's email address.",
            "invalid": "Enter a whole email address, such as name@example.com.",
        },
    )
    reason = forms.CharField(
        label="Why you need emergency access",
        help_text="What the emergency is and why their care team cannot be reached. Required; it is "
        "kept with the access and read by a supervisor.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the reason for emergency access."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < _min_reason():
            raise forms.ValidationError(
                f"Give a reason of at least {_min_reason()} characters (you wrote {len(reason)}): "
                "what the emergency is and why you need this record."
            )
        return reason


class ConfirmForm(forms.Form):
    understood = forms.BooleanField(
        label="I understand that this access is logged, that the patient's therapist is told, and that "
        "a supervisor reviews it.",
        error_messages={"required": "Tick the box to confirm, or go back."},
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label="Review comment",
        help_text="Was the access justified? What, if anything, follows? Required.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write what you found, for the record."},
    )
