"""Forms: the therapist's assignment form and the patient's questionnaire (one radio group per item)."""

from django import forms

from ipt.measures.actions import MAX_EVERY_WEEKS
from ipt.measures.instruments import registry
from ipt.measures.models import Schedule


def instrument_choices() -> list[tuple[str, str]]:
    return [(instrument.code, instrument.title) for instrument in registry.all()]


class AssignForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", choices=())
    schedule = forms.ChoiceField(
        label="When", choices=Schedule.choices, initial=Schedule.BEFORE_EVERY_SESSION
    )
    every_weeks = forms.IntegerField(
        label="Every how many weeks",
        required=False,
        min_value=1,
        max_value=MAX_EVERY_WEEKS,
        help_text="Only for “Every few weeks”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = instrument_choices()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("schedule") == Schedule.EVERY_N_WEEKS and not cleaned.get("every_weeks"):
            self.add_error("every_weeks", "Say every how many weeks.")
        return cleaned


def item_field_name(number: int) -> str:
    return f"q{number}"


def answers_from(data, instrument) -> tuple[dict[int, int | None], list[str]]:
    """{item number: value} for the items present in ``data``, and errors naming bad items."""
    given: dict[int, int | None] = {}
    errors: list[str] = []
    for item in instrument.items:
        raw = data.get(item_field_name(item.number))
        if raw is None:
            continue
        if raw == "":
            given[item.number] = None
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or value not in item.values:
            allowed = ", ".join(str(v) for v in item.values)
            errors.append(f"Question {item.number}: choose one of the answers given ({allowed}).")
            continue
        given[item.number] = value
    return given, errors
