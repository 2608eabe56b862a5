"""What happened in each session: the Encounter and its IPT session note.

A note is a draft (autosaved) until the therapist signs it; then it is locked and later changes
are addenda. ``private_notes`` are psychotherapy notes: never shown to the patient, never exported.
"""

import uuid

from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class EncounterStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    FINISHED = "finished", "Held"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed"


class Encounter(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey("care.TreatmentCourse", on_delete=models.PROTECT, related_name="encounters")
    number = models.PositiveSmallIntegerField(help_text="Session number within the course")
    phase = models.CharField(max_length=20, help_text="The course's phase when the session was held")
    starts_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=EncounterStatus.choices, default=EncounterStatus.FINISHED
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["course", "number"], name="one_encounter_per_number")]

    def __str__(self) -> str:
        return f"Session {self.number}"


class Technique(models.TextChoices):
    EXPLORATORY_QUESTIONING = "exploratory_questioning", "Exploratory questioning"
    ENCOURAGEMENT_OF_AFFECT = "encouragement_of_affect", "Encouragement of affect"
    CLARIFICATION = "clarification", "Clarification"
    COMMUNICATION_ANALYSIS = "communication_analysis", "Communication analysis"
    DECISION_ANALYSIS = "decision_analysis", "Decision analysis"
    ROLE_PLAY = "role_play", "Role-play"
    THERAPEUTIC_RELATIONSHIP = "therapeutic_relationship", "Use of the therapeutic relationship"


class InitialTask(models.TextChoices):
    """Initial-phase tasks done in a session (the course checklist ticks from these)."""

    SYMPTOMS_REVIEWED = "symptoms_reviewed", "Symptoms reviewed"
    DIAGNOSIS_NAMED = "diagnosis_named", "Diagnosis named and explained"
    SICK_ROLE_EXPLAINED = "sick_role_explained", "Sick role explained"
    MEDICATION_CONSIDERED = "medication_considered", "Medication considered"


class RiskLevel(models.TextChoices):
    NONE = "none", "No current risk identified"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class SessionNote(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="note")
    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    mood_since_last = EncryptedTextField(blank=True, help_text="How have you been since we last met?")
    mood_rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 (worst) to 10 (best)")
    interpersonal_events = EncryptedTextField(blank=True, help_text="Events of the week linked to mood")
    people = models.ManyToManyField("care.InventoryPerson", blank=True, related_name="+")
    problem_area_focus = models.ForeignKey(
        "care.ProblemArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    initial_tasks = models.JSONField(default=list, blank=True)
    techniques = models.JSONField(default=list, blank=True)
    problem_area_work = EncryptedTextField(blank=True)
    homework_review = EncryptedTextField(blank=True, help_text="How last session's work at home went")
    work_at_home = EncryptedTextField(blank=True, help_text="One task per line; each becomes a to-do")
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    risk_review = EncryptedTextField(blank=True)
    plan = EncryptedTextField(blank=True)
    shared_summary = EncryptedTextField(blank=True, help_text="What the patient sees of this session")
    private_notes = EncryptedTextField(
        blank=True, help_text="Psychotherapy notes: never shown to the patient"
    )
    draft_saved_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class Addendum(models.Model):
    """A later change to a signed note: the note itself never changes once signed."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    text = EncryptedTextField()
    written_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["written_at", "id"]
