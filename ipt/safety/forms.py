from django import forms

from ipt.safety.crisis import country_choices
from ipt.safety.models import SAFETY_PLAN_SECTIONS, CrisisLine


class FollowUpForm(forms.Form):
    follow_up = forms.CharField(
        label="Follow-up",
        help_text="What you did: who you contacted, when, and what was agreed. Required.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
    )


def _section(field: str) -> forms.CharField:
    heading, prompt = next(
        (heading, prompt) for name, heading, prompt in SAFETY_PLAN_SECTIONS if name == field
    )
    return forms.CharField(
        label=heading,
        help_text=prompt,
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class SafetyPlanForm(forms.Form):
    warning_signs = _section("warning_signs")
    coping_strategies = _section("coping_strategies")
    distractions = _section("distractions")
    people_to_ask = _section("people_to_ask")
    professionals = _section("professionals")
    safe_surroundings = _section("safe_surroundings")
    reasons_for_living = _section("reasons_for_living")
    country = forms.ChoiceField(
        label="Where you are (for crisis lines)",
        required=False,
        help_text="We use this to show the right crisis lines.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Not chosen"), *country_choices()]


class CrisisLineForm(forms.ModelForm):
    url = forms.URLField(label="Web address", required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = CrisisLine
        fields = ["kind", "country", "region", "name", "phone", "text", "url", "notes", "priority"]


class CountryForm(forms.Form):
    """The crisis page's GET parameters (whitelisted)."""

    country = forms.ChoiceField(label="Where are you?", required=False)
    region = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Choose your country"), *country_choices()]
