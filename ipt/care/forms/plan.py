"""Forms for the formulation, the treatment contract and the termination review."""

from django import forms

from ipt.care.models import MaintenanceDecision

LONG_TEXT = 20_000  # characters; a formulation is a page or two, never a book


def _text(label: str, help_text: str = "", rows: int = 6, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class VersionForm(forms.Form):
    """Names the version the person saw, so they act on that one and not on a newer one."""

    version = forms.IntegerField(min_value=1, max_value=32_767, widget=forms.HiddenInput)


class FormulationForm(forms.Form):
    clinical_text = _text(
        "Interpersonal formulation (clinical)",
        "Seen by you and your supervisor, never by the patient.",
        rows=10,
    )
    plain_text = _text(
        "The same in plain words, for the patient",
        "The patient reads this and confirms it fits their experience. Avoid jargon.",
        rows=8,
    )


class ContractForm(forms.Form):
    sessions_planned = forms.IntegerField(label="Sessions planned", min_value=1, max_value=52)
    schedule = _text("Schedule", "For example: weekly, Tuesdays at 10:00, 50 minutes by video.", rows=2)
    goals = _text("Goals", "What the patient and you are working towards, in words you both use.")
    missed_session_policy = _text("If a session is missed", rows=4)


class SignatureForm(VersionForm):
    full_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class TerminationReviewForm(forms.Form):
    gains = _text("Gains, in the patient's own words", required=False)
    warning_signs = _text("Personal warning signs of relapse", required=False)
    plan = _text("What to do if the warning signs come back", required=False)
    maintenance_decision = forms.ChoiceField(
        label="After this course",
        choices=[("", "Not decided yet"), *MaintenanceDecision.choices],
        required=False,
    )
