from datetime import datetime
from typing import Any

from django import forms

from ipt.accounts.models import User
from ipt.care.access import inventory_for, problem_areas_for
from ipt.care.models import HomeworkStatus, InventoryPerson, ProblemArea, TreatmentCourse
from ipt.visits.actions import work_at_home_lines
from ipt.visits.models import InitialTask, RiskLevel, SessionNote, Technique

LONG_TEXT = 20_000
MAX_TASKS = 20
MAX_TASK_LENGTH = 300


def _text(label: str, help_text: str = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class PersonChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.get_relation_display().lower()})"


class ProblemAreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.get_kind_display()} ({obj.get_rank_display().lower()})"


class StartSessionForm(forms.Form):
    """The number the therapist saw on the page, so a second click does not start a second session."""

    number = forms.IntegerField(
        min_value=1,
        max_value=32767,
        widget=forms.HiddenInput,
        error_messages={"required": "Reload the page and start the session again."},
    )


class NoteForm(forms.Form):
    """The IPT session note, as the therapist types it (saved as a draft on every change).

    ``draft_version`` is the draft the page was loaded with (the note's draft_saved_at): a form
    from before the draft last changed must not overwrite it, and a post without it is not this form.
    """

    draft_version = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "This form has lost its draft version: reload the note."},
    )

    mood_since_last = _text("Mood since last session", "“How have you been since we last met?”")
    mood_rating = forms.IntegerField(
        label="Mood rating (0 worst, 10 best)",
        required=False,
        min_value=0,
        max_value=10,
        error_messages={
            "min_value": "Mood rating is from 0 (worst) to 10 (best).",
            "max_value": "Mood rating is from 0 (worst) to 10 (best).",
            "invalid": "Mood rating is a whole number from 0 (worst) to 10 (best).",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    interpersonal_events = _text("Interpersonal events linked to mood")
    people = PersonChoices(
        label="People involved (from the interpersonal inventory)",
        queryset=InventoryPerson.objects.none(),  # the course's people, set per form
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    problem_area_focus = ProblemAreaChoice(
        label="Problem-area focus",
        queryset=ProblemArea.objects.none(),  # the course's areas, set per form
        required=False,
        empty_label="No problem area this session",
    )
    initial_tasks = forms.MultipleChoiceField(
        label="Initial-phase tasks done this session",
        choices=InitialTask.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    techniques = forms.MultipleChoiceField(
        label="Techniques used",
        choices=Technique.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    problem_area_work = _text("Problem-area work", rows=5)
    homework_review = _text("Review of the work at home", "How last session's work at home went.")
    work_at_home = _text(
        "Work at home agreed",
        f"One task per line (at most {MAX_TASKS}); each becomes a to-do for the patient when you sign.",
    )
    risk_level = forms.ChoiceField(
        label="Risk level", choices=[("", "Not assessed yet"), *RiskLevel.choices], required=False
    )
    risk_review = _text("Risk review")
    plan = _text("Plan")
    shared_summary = _text(
        "Shared summary", "What the patient sees of this session, in plain and warm words.", rows=4
    )
    private_notes = _text("Your private notes", "Only you see these.", rows=4)

    def __init__(self, user: User, course: TreatmentCourse, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = inventory_for(user, course)
        self.fields["problem_area_focus"].queryset = problem_areas_for(user, course)

    @staticmethod
    def initial_from(note: SessionNote) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(note, name)
            for name in (
                "mood_since_last",
                "mood_rating",
                "interpersonal_events",
                "initial_tasks",
                "techniques",
                "problem_area_work",
                "homework_review",
                "work_at_home",
                "risk_level",
                "risk_review",
                "plan",
                "shared_summary",
                "private_notes",
            )
        }
        initial["draft_version"] = note.draft_saved_at.isoformat()
        initial["problem_area_focus"] = note.problem_area_focus_id
        initial["people"] = [person.pk for person in note.people.all()]
        return initial

    def clean_draft_version(self) -> datetime:
        try:
            version = datetime.fromisoformat(self.cleaned_data["draft_version"])
        except ValueError:
            raise forms.ValidationError("This form's draft version is not valid: reload the note.") from None
        if version.tzinfo is None:
            raise forms.ValidationError("This form's draft version is not valid: reload the note.")
        return version

    def clean_work_at_home(self) -> str:
        text = self.cleaned_data["work_at_home"]
        lines = work_at_home_lines(text)
        if len(lines) > MAX_TASKS:
            raise forms.ValidationError(f"Agree at most {MAX_TASKS} tasks (one per line).")
        if any(len(line) > MAX_TASK_LENGTH for line in lines):
            raise forms.ValidationError(f"Keep each task under {MAX_TASK_LENGTH} characters.")
        return text


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        help_text="The signed note stays as it is; this is added under it with your name and the time.",
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the addendum."},
    )


class CheckInForm(forms.Form):
    status = forms.ChoiceField(
        label="Did you try it?",
        choices=[(HomeworkStatus.TRIED, "I tried it"), (HomeworkStatus.NOT_TRIED, "I didn't get to it")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose “I tried it” or “I didn't get to it”.",
            "invalid_choice": "Choose “I tried it” or “I didn't get to it”.",
        },
    )
    check_in = forms.CharField(
        label="How did it go?",
        help_text="A few words are enough. Your therapist reads this before your next session.",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
