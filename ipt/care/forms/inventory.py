"""Forms for the interpersonal inventory, the closeness circle's snapshots and the timeline.

Staff forms use the method's words; the patient's forms ask the same things in plain words.
Every field's limits are stated in its error message, so a refusal says what was wrong.
"""

from datetime import date, timedelta

from django import forms

from ipt.care.models import (
    ClosenessSnapshot,
    ContactFrequency,
    ExpectationsMet,
    InventoryPerson,
    LifeEventType,
    Relation,
)

NAME_MAX = 100
TEXT_MAX = 4_000
EARLIEST_EVENT = date(1900, 1, 1)

RING_CHOICES = [(1, "1 – closest (inner ring)"), (2, "2 – middle ring"), (3, "3 – outer ring")]
PLAIN_RING_CHOICES = [(1, "Very close"), (2, "Close"), (3, "Less close")]
RING_ERROR = "Choose ring 1 (closest), 2 or 3 (furthest)."


def _text(label: str, help_text: str = "", rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"max_length": f"Keep this under {TEXT_MAX:,} characters."},
    )


def _choice(label: str, choices, required: bool = False, blank: str = "Not noted") -> forms.ChoiceField:
    options = [("", "Choose…" if required else blank), *choices]
    return forms.ChoiceField(
        label=label,
        choices=options,
        required=required,
        error_messages={
            "invalid_choice": "Choose one of the options in the list.",
            "required": "Choose one of the options in the list.",
        },
    )


class PersonChoiceField(forms.ModelChoiceField):
    """A person from the course's inventory; anything else (a malformed id too) is one message."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class InventoryPersonForm(forms.Form):
    """One person in the interpersonal inventory (the therapist's wording)."""

    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        help_text="A first name or a nickname is enough.",
        error_messages={
            "required": "Give the person a name (a first name or a nickname is enough).",
            "max_length": f"Keep the name under {NAME_MAX} characters.",
        },
    )
    relation = _choice("Relation", Relation.choices, required=True)
    contact_frequency = _choice("Contact", ContactFrequency.choices)
    closeness_ring = forms.TypedChoiceField(
        label="Closeness ring",
        choices=RING_CHOICES,
        coerce=int,
        error_messages={"invalid_choice": RING_ERROR, "required": RING_ERROR},
    )
    satisfying = _text("What is satisfying in the relationship")
    unsatisfying = _text("What is unsatisfying")
    expectations = _text("Expectations (of each other)")
    expectations_met = _choice("Are the expectations met?", ExpectationsMet.choices)
    changes_wanted = _text("Changes the patient would like")
    is_deceased = forms.BooleanField(label="Has died", required=False)
    # The version the person saw (``updated_at``), so a change made meanwhile by the patient or the
    # therapist is not silently overwritten.
    seen_version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    FIELD_ORDER = (
        "name",
        "relation",
        "contact_frequency",
        "closeness_ring",
        "satisfying",
        "unsatisfying",
        "expectations",
        "expectations_met",
        "changes_wanted",
        "is_deceased",
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the person a name (a first name or a nickname is enough).")
        return name

    def person_data(self) -> dict:
        """The inventory fields only (what the actions take)."""
        return {name: self.cleaned_data[name] for name in self.FIELD_ORDER}

    @classmethod
    def initial_for(cls, person: InventoryPerson) -> dict:
        initial = {name: getattr(person, name) for name in cls.FIELD_ORDER}
        return {**initial, "seen_version": person.updated_at.isoformat()}


class PatientInventoryPersonForm(InventoryPersonForm):
    """The same, asked of the patient in plain words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain = {
            "name": ("Their name", "A first name or a nickname is enough."),
            "relation": ("Who are they to you?", ""),
            "contact_frequency": ("How often are you in touch?", ""),
            "closeness_ring": (
                "How close do you feel to them?",
                "This places them on your closeness circle.",
            ),
            "satisfying": ("What is good about this relationship?", ""),
            "unsatisfying": ("What is hard or disappointing?", ""),
            "expectations": ("What do you hope for from each other?", ""),
            "expectations_met": ("Do those hopes come true?", ""),
            "changes_wanted": ("What would you like to be different?", ""),
            "is_deceased": ("This person has died", ""),
        }
        for name, (label, help_text) in plain.items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text
        self.fields["closeness_ring"].choices = PLAIN_RING_CHOICES
        self.fields["contact_frequency"].choices = [("", "Choose…"), *ContactFrequency.choices]
        self.fields["expectations_met"].choices = [
            ("", "Choose…"),
            ("yes", "Yes"),
            ("partly", "Partly"),
            ("no", "No"),
            ("unsure", "I'm not sure"),
        ]


class SnapshotForm(forms.Form):
    moment = forms.ChoiceField(
        choices=ClosenessSnapshot.Moment.choices,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "A snapshot is taken at the start or at the end.",
            "required": "A snapshot is taken at the start or at the end.",
        },
    )


class TimelineEventForm(forms.Form):
    occurred_on = forms.DateField(
        label="Date",
        help_text="When it happened (an approximate date is fine).",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"],
        error_messages={
            "required": "Give the date it happened.",
            "invalid": "Give a date like 2024-03-15 (year-month-day).",
        },
    )
    event_type = _choice("What kind of event", LifeEventType.choices, required=True)
    person = PersonChoiceField(
        label="Person involved",
        queryset=InventoryPerson.objects.none(),
        required=False,
        empty_label="Nobody in particular",
        error_messages={"invalid_choice": "Choose someone from this inventory (or nobody)."},
    )
    description = _text("What happened", rows=2)
    mood = forms.IntegerField(
        label="Mood at the time (0 worst, 10 best)",
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "inputmode": "numeric"}),
        error_messages={
            "invalid": "Mood is a whole number from 0 (worst) to 10 (best).",
            "min_value": "Mood is a whole number from 0 (worst) to 10 (best).",
            "max_value": "Mood is a whole number from 0 (worst) to 10 (best).",
        },
    )
    symptom_change = _text("Change in symptoms", rows=2)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        person_field = self.fields["person"]
        assert isinstance(person_field, forms.ModelChoiceField)
        person_field.queryset = people if people is not None else InventoryPerson.objects.none()
        person_field.label_from_instance = lambda person: f"{person.name} ({person.get_relation_display()})"

    def clean_occurred_on(self) -> date:
        day = self.cleaned_data["occurred_on"]
        if day < EARLIEST_EVENT:
            raise forms.ValidationError("Give a date after 1900.")
        # A day's slack: "today" where the person lives may be tomorrow in UTC.
        if day > date.today() + timedelta(days=1):
            raise forms.ValidationError(
                "The timeline is for things that have happened: the date is in the future."
            )
        return day

    def event_data(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("occurred_on", "event_type", "person", "description", "mood", "symptom_change")
        }


class PatientTimelineEventForm(TimelineEventForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain = {
            "occurred_on": ("When did it happen?", "A rough date is fine."),
            "event_type": ("What kind of thing happened?", ""),
            "person": ("Who was involved? (optional)", "People come from your list of people in your life."),
            "description": ("What happened?", "A few words are enough."),
            "mood": (
                "How was your mood around then?",
                "0 = very low, 10 = very good. Leave empty if unsure.",
            ),
            "symptom_change": (
                "Did anything change in how you felt?",
                "For example sleep, energy, appetite or worry.",
            ),
        }
        for name, (label, help_text) in plain.items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text


class DeleteEventForm(forms.Form):
    event = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"invalid": "That event is not on this timeline."}
    )
