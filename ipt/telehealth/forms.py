from django import forms

from ipt.telehealth import regions
from ipt.telehealth.consent_actions import callback_number_problem


class ConsentSignForm(forms.Form):
    typed_name = forms.CharField(
        label="Type your full name",
        max_length=200,
        help_text="Your first and last name, as on your account. This is your signature.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Please type your full name to sign."},
    )
    agree = forms.BooleanField(
        label="I have read this consent and I agree to it",
        error_messages={"required": "Please tick the box to say you have read it and agree."},
    )


class ConsentDocumentForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Plain text; leave a blank line between paragraphs.",
    )


class LocationCheckForm(forms.Form):
    """Where the patient is now. Regions depend on the chosen country (the page refreshes them)."""

    country = forms.ChoiceField(
        label="Country you are in now",
        error_messages={
            "required": "Please choose the country you are in now.",
            "invalid_choice": "Please choose the country you are in now.",
        },
    )
    region = forms.ChoiceField(
        label="State, province or region",
        required=False,
        error_messages={"invalid_choice": "Please choose a region of the country you chose."},
    )
    emergency_address = forms.CharField(
        label="The address where you are now",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text="Only used if there is an emergency during the session and we need to send help.",
        error_messages={"required": "Please give the address where you are now, in case of an emergency."},
    )
    is_private = forms.BooleanField(
        label="I am somewhere private where I can talk",
        help_text=(
            "Therapy works best when you can speak freely without being overheard. A closed room, a "
            "parked car or headphones can help. If you cannot find a private place today, that is "
            "all right: tick this when you can, or tell your therapist at the start."
        ),
        error_messages={"required": "Please find a private place first, then tick this box."},
    )
    callback_number = forms.CharField(
        label="A phone number we can call you on",
        max_length=40,
        help_text="If the video drops, your therapist will call you on this number.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": "Please give a phone number your therapist can call if the video drops."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        country_field, region_field = self.fields["country"], self.fields["region"]
        assert isinstance(country_field, forms.ChoiceField) and isinstance(region_field, forms.ChoiceField)
        country_field.choices = [("", "Choose a country"), *regions.country_choices()]
        region_field.choices = [("", "Choose a region"), *regions.region_choices(self.chosen_country)]

    @property
    def chosen_country(self) -> str:
        value = self.data.get("country") if self.is_bound else self.initial.get("country")
        return str(value or "").strip().upper()

    @property
    def country_is_known(self) -> bool:
        return regions.is_country(self.chosen_country)

    @property
    def country_has_regions(self) -> bool:
        return regions.has_regions(self.chosen_country)

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_callback_number(self) -> str:
        number = self.cleaned_data["callback_number"]
        problem = callback_number_problem(number)
        if problem:
            raise forms.ValidationError(problem)
        return number

    def clean(self):
        cleaned = super().clean() or {}
        country, region = cleaned.get("country"), cleaned.get("region", "")
        if country and not region and regions.has_regions(country) and "region" not in self.errors:
            self.add_error("region", "Please choose the state, province or region you are in now.")
        return cleaned
