"""Forms for the practice pages (between sessions).

Every field's limits are stated in its error message, so a refusal says what was wrong.
"""

from django import forms

from ipt.practice.diary_actions import (
    MOOD_ERROR,
    NAME_MAX,
    NOTE_MAX,
    WHAT_MAX,
    InteractionInput,
)
from ipt.practice.models import Feeling

# Diary (issue 6, helper "diary") ---------------------------------------------------------------

DIARY_ROWS = 3
DIARY_OTHER = "other"
DIARY_PERSON_ERROR = "Choose someone from your list of people, or “someone else” with a name."
DIARY_FEELINGS = [("good", "Good"), ("mixed", "Mixed"), ("bad", "Bad")]


class DiaryEntryForm(forms.Form):
    mood = forms.TypedChoiceField(
        label="How was your mood today?",
        help_text="0 = very low, 10 = very good.",
        choices=[(value, str(value)) for value in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "diary-mood-input"}),
        error_messages={"required": "Choose your mood, from 0 to 10.", "invalid_choice": MOOD_ERROR},
    )
    note = forms.CharField(
        label="Anything else about today? (optional)",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"Keep the note under {NOTE_MAX:,} characters."},
    )


class DiaryInteractionForm(forms.Form):
    """One optional row: who, what happened, how it felt. An empty row is ignored."""

    is_open = True  # the page folds rows away until they are needed

    who = forms.ChoiceField(
        label="Who with?",
        required=False,
        error_messages={"invalid_choice": DIARY_PERSON_ERROR},
    )
    other_name = forms.CharField(
        label="Their name (if someone else)",
        required=False,
        max_length=NAME_MAX,
        error_messages={"max_length": f"Keep the name under {NAME_MAX} characters."},
    )
    what_happened = forms.CharField(
        label="What happened? (a few words)",
        required=False,
        max_length=WHAT_MAX,
        error_messages={"max_length": f"Keep this under {WHAT_MAX} characters."},
    )
    feeling = forms.ChoiceField(
        label="How did it feel?",
        required=False,
        choices=DIARY_FEELINGS,
        widget=forms.RadioSelect(attrs={"class": "diary-feeling-input"}),
        error_messages={"invalid_choice": "Choose how it felt: good, mixed or bad."},
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(person.pk): person for person in people}
        who = self.fields["who"]
        assert isinstance(who, forms.ChoiceField)
        who.choices = [
            ("", "—"),
            *[(key, person.name) for key, person in self.people.items()],
            (DIARY_OTHER, "Someone else"),
        ]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        who = data.get("who", "")
        if self.errors:
            return data
        if not who:
            if (
                data.get("other_name", "").strip()
                or data.get("what_happened", "").strip()
                or data.get("feeling")
            ):
                self.add_error("who", "Say who this was with, or leave the whole row empty.")
            return data
        if who == DIARY_OTHER and not data.get("other_name", "").strip():
            self.add_error("other_name", "Write the person's name (a first name is enough).")
        if not data.get("feeling"):
            self.add_error("feeling", "Choose how it felt: good, mixed or bad.")
        return data

    def interaction(self) -> InteractionInput | None:
        """The row as the action takes it (None for an empty row); call after is_valid()."""
        who = self.cleaned_data.get("who", "")
        if not who:
            return None
        return InteractionInput(
            feeling=self.cleaned_data["feeling"],
            person=self.people.get(who),
            other_person=self.cleaned_data["other_name"] if who == DIARY_OTHER else "",
            what_happened=self.cleaned_data["what_happened"],
        )


def diary_interaction_initial(interaction) -> dict:
    return {
        "who": str(interaction.person_id) if interaction.person_id else DIARY_OTHER,
        "other_name": interaction.other_person,
        "what_happened": interaction.what_happened,
        "feeling": interaction.feeling if interaction.feeling in Feeling.values else "",
    }
