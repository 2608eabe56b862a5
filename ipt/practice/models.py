"""Between sessions: the mood and interpersonal diary, and psychoeducation lessons.

The diary is the patient's own words about people in their life: every free-text field is
encrypted. Lessons are written in the code (``ipt.practice.lessons``); only who was given which
lesson, and how far they got, is stored.
"""

import uuid

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class DiaryEntry(models.Model):
    """One day: mood 0 (worst) to 10 (best), and that day's interactions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey("care.TreatmentCourse", on_delete=models.PROTECT, related_name="diary_entries")
    day = models.DateField()
    mood = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    note = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["course", "day"], name="one_diary_entry_per_day")]

    def __str__(self) -> str:
        return f"Diary {self.day}: mood {self.mood}"


class Feeling(models.TextChoices):
    GOOD = "good", "It felt good"
    MIXED = "mixed", "Mixed"
    BAD = "bad", "It felt bad"


class DiaryInteraction(models.Model):
    """Contact with one person that day: someone from the inventory, or a new name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(DiaryEntry, on_delete=models.CASCADE, related_name="interactions")
    person = models.ForeignKey(
        "care.InventoryPerson",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="diary_interactions",
    )
    other_person = EncryptedTextField(blank=True, help_text="Someone not (yet) in the inventory")
    what_happened = EncryptedTextField(blank=True)
    feeling = models.CharField(max_length=10, choices=Feeling.choices)

    class Meta:
        ordering = ["entry__day"]


class LessonAssignment(models.Model):
    """A lesson the therapist gave this course's patient, and how far the patient got."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        "care.TreatmentCourse", on_delete=models.PROTECT, related_name="lesson_assignments"
    )
    lesson = models.CharField(max_length=50, help_text="A slug from ipt.practice.lessons")
    assigned_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    note = EncryptedTextField(blank=True, help_text="Why this lesson, in a sentence for the patient")
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at"]
        constraints = [models.UniqueConstraint(fields=["course", "lesson"], name="one_assignment_per_lesson")]

    def __str__(self) -> str:
        return f"Lesson {self.lesson}"


# --- Role-play practice (ipt.practice.roleplay) -----------------------------------------------


class RolePlayScenario(models.Model):
    """A scenario the therapist wrote for this patient's real situation (library ones live in code)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        "care.TreatmentCourse", on_delete=models.PROTECT, related_name="roleplay_scenarios"
    )
    title = models.CharField(max_length=120)
    problem_area = models.CharField(
        max_length=30,
        choices=[
            ("grief", "Grief"),
            ("role_dispute", "Role dispute"),
            ("role_transition", "Role transition"),
            ("interpersonal_deficits", "Interpersonal deficits / sensitivity"),
        ],
    )
    other_person = models.ForeignKey(
        "care.InventoryPerson", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    other_name = EncryptedTextField(blank=True, help_text="When the other person is not in the inventory")
    situation = EncryptedTextField(blank=True)
    likely_reactions = EncryptedTextField(blank=True)
    patient_goal = EncryptedTextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class RolePlaySession(models.Model):
    """One rehearsal: a library scenario (by slug) or a therapist's scenario."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        "care.TreatmentCourse", on_delete=models.PROTECT, related_name="roleplay_sessions"
    )
    scenario_slug = models.CharField(max_length=50, blank=True)
    scenario = models.ForeignKey(
        RolePlayScenario, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    patient_plays = models.CharField(
        max_length=10, choices=[("self", "Themselves"), ("other", "The other person")], default="self"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]


class RolePlayTurn(models.Model):
    """One line of the conversation, with the analyser's features and feedback for the patient's."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(RolePlaySession, on_delete=models.CASCADE, related_name="turns")
    number = models.PositiveIntegerField()
    speaker = models.CharField(max_length=10, choices=[("patient", "Patient"), ("other", "Other person")])
    text = EncryptedTextField()
    features = models.JSONField(default=list, blank=True)
    feedback = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="one_roleplay_turn_per_number")
        ]
