"""Forms for starting a course, its details and phase changes, and its problem areas."""

from django import forms
from django.core.exceptions import ValidationError

from ipt.care.actions.course import parse_icd10_codes
from ipt.care.actions.problem_areas import KIND_FIELDS
from ipt.care.models import (
    PLANNED_SESSIONS_RANGE,
    CourseFormat,
    CourseStatus,
    DisputeStage,
    InventoryPerson,
    ProblemAreaKind,
    ProblemAreaRank,
    TargetCondition,
)
from ipt.care.problem_area_templates import TEMPLATES

SHORT_TEXT = 2_000
LONG_TEXT = 10_000
ICD10_MAX = 200  # TreatmentCourse.icd10_codes


def _text(label: str, help_text: str = "", rows: int = 3, max_length: int = SHORT_TEXT) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _ranges_help() -> str:
    ranges = [
        f"{CourseFormat(course_format).label.split(' (')[0]}: {low}–{high}"
        for course_format, (low, high) in PLANNED_SESSIONS_RANGE.items()
    ]
    return "; ".join(ranges) + "."


class CourseDetailsForm(forms.Form):
    """What can change once the course has started (the format cannot)."""

    planned_sessions = forms.IntegerField(
        label="Planned sessions", min_value=1, max_value=99, help_text=_ranges_help()
    )
    target_conditions = forms.MultipleChoiceField(
        label="Target conditions",
        choices=TargetCondition.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one condition the course treats."},
    )
    icd10_codes = forms.CharField(
        label="ICD-10 codes (optional)",
        required=False,
        max_length=ICD10_MAX,
        help_text="Separated by commas, e.g. F32.1, F41.1",
    )
    medication = _text("Current medication", "Name, dose and since when; leave empty if none.")
    prescriber_contact = _text("Prescriber's contact", "Who prescribes it and how to reach them.")

    def __init__(self, *args, course_format: str = CourseFormat.IPT, **kwargs):
        self.course_format = course_format
        super().__init__(*args, **kwargs)

    def clean_icd10_codes(self) -> str:
        try:
            codes = parse_icd10_codes(self.cleaned_data["icd10_codes"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["icd10_codes"]) from None
        if len(codes) > ICD10_MAX:
            raise forms.ValidationError(f"Too many codes: at most {ICD10_MAX} characters in all.")
        return codes

    def clean(self):
        cleaned = super().clean()
        planned, course_format = cleaned.get("planned_sessions"), self.course_format
        if planned is not None and course_format in CourseFormat.values:
            low, high = PLANNED_SESSIONS_RANGE[CourseFormat(course_format)]
            if not low <= planned <= high:
                label = CourseFormat(course_format).label
                self.add_error("planned_sessions", f"{label} plans {low} to {high} sessions.")
        return cleaned


class CourseStartForm(CourseDetailsForm):
    format = forms.ChoiceField(label="Format", choices=CourseFormat.choices, widget=forms.RadioSelect)
    field_order = ["format", "planned_sessions", "target_conditions"]

    def clean(self):
        self.course_format = self.cleaned_data.get("format", "")
        return super().clean()


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(choices=CourseStatus.choices, widget=forms.HiddenInput)
    reason = _text("Reason", "Required when discontinuing; seen by the care team only.")


class ProblemAreaChooseForm(forms.Form):
    kind = forms.ChoiceField(
        label="Problem area",
        choices=ProblemAreaKind.choices,
        widget=forms.RadioSelect,
        help_text="Goals and strategies are filled in from the area's template; you edit them next.",
    )
    rank = forms.ChoiceField(label="Rank", choices=ProblemAreaRank.choices, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (kind, f"{label}: {TEMPLATES[kind].when}") for kind, label in ProblemAreaKind.choices
        ]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: InventoryPerson) -> str:
        died = ", died" if obj.is_deceased else ""
        return f"{obj.name} ({obj.get_relation_display().lower()}{died})"


class ProblemAreaForm(forms.Form):
    """Goals, strategies and the fields of one kind of area (the others are dropped)."""

    person = PersonChoiceField(
        label="Who",
        queryset=InventoryPerson.objects.none(),
        required=False,
        empty_label="Not chosen yet",
        help_text="From the interpersonal inventory.",
    )
    date_of_death = forms.DateField(
        label="Date of death", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    relationship_notes = _text("The relationship with the person who died", rows=4, max_length=LONG_TEXT)
    old_role = _text("Old role", rows=2)
    new_role = _text("New role", rows=2)
    pattern_notes = _text("Patterns in relationships", rows=4, max_length=LONG_TEXT)
    goals = _text("Goals", "One per line.", rows=4, max_length=LONG_TEXT)
    strategies = _text("Strategies", "One per line.", rows=5, max_length=LONG_TEXT)

    PERSON_LABELS = {
        ProblemAreaKind.GRIEF: "Who died",
        ProblemAreaKind.ROLE_DISPUTE: "The dispute is with",
    }

    def __init__(self, *args, kind: str, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        keep = {*KIND_FIELDS[ProblemAreaKind(kind)], "goals", "strategies"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "person" in self.fields:
            self.fields["person"].queryset = people if people is not None else InventoryPerson.objects.none()
            self.fields["person"].label = self.PERSON_LABELS[ProblemAreaKind(kind)]


class DisputeStageForm(forms.Form):
    stage = forms.ChoiceField(
        label="Stage of the dispute", choices=DisputeStage.choices, widget=forms.RadioSelect
    )
    note = _text("Note (optional)", "What shows the dispute is at this stage now.")
