"""Questionnaires given to a patient during a course: what is assigned, and what they answered.

A MeasureAssignment says which instrument a course uses and when it is due; each time the patient
fills it in there is a QuestionnaireResponse (FHIR's name). A response starts ``in_progress`` and
keeps the answers as they are given (so a reload loses nothing); once submitted it is scored and
``completed``. Scores are computed by the instrument registry, never here.
"""

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone


class Schedule(models.TextChoices):
    BEFORE_EVERY_SESSION = "before_every_session", "Before every session"
    EVERY_N_WEEKS = "every_n_weeks", "Every few weeks"
    ONCE = "once", "Once"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class MeasureAssignment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        "care.TreatmentCourse", on_delete=models.PROTECT, related_name="measure_assignments"
    )
    instrument = models.CharField(max_length=40, help_text="Instrument code, e.g. phq9")
    schedule = models.CharField(
        max_length=30, choices=Schedule.choices, default=Schedule.BEFORE_EVERY_SESSION
    )
    every_weeks = models.PositiveSmallIntegerField(null=True, blank=True, help_text="For 'every few weeks'")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument"],
                condition=models.Q(is_active=True),
                name="one_active_assignment_per_instrument",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.get_schedule_display()})"

    def schedule_text(self) -> str:
        if self.schedule == Schedule.EVERY_N_WEEKS:
            weeks = self.every_weeks or 1
            return "Every week" if weeks == 1 else f"Every {weeks} weeks"
        return self.get_schedule_display()


class QuestionnaireResponse(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        "care.TreatmentCourse", on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    instrument = models.CharField(max_length=40)
    assignment = models.ForeignKey(
        MeasureAssignment, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    encounter = models.ForeignKey(
        "visits.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questionnaire_responses",
    )
    status = models.CharField(
        max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS
    )
    answers = models.JSONField(default=list, blank=True, help_text="One value (or null) per item, in order")
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=40, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["course", "instrument", "status"])]

    def __str__(self) -> str:
        return f"{self.instrument} response {self.pk}"


def due_since(assignment: MeasureAssignment, *, last_encounter_at, last_completed_at, now=None):
    """When the assignment fell due, or None when it is not due.

    - before every session: due when nothing was completed since the last session began (or, before
      any session, until the first one is completed);
    - every n weeks: due n weeks after the last completed one (at once when there is none);
    - once: due until completed.
    """
    now = now or timezone.now()
    if not assignment.is_active:
        return None
    if assignment.schedule == Schedule.ONCE:
        return None if last_completed_at else assignment.created_at
    if assignment.schedule == Schedule.EVERY_N_WEEKS:
        if last_completed_at is None:
            return assignment.created_at
        due_at = last_completed_at + timedelta(weeks=assignment.every_weeks or 1)
        return due_at if due_at <= now else None
    # before every session
    if last_encounter_at is None or last_encounter_at > now:
        return None if last_completed_at else assignment.created_at
    if last_completed_at is None or last_completed_at < last_encounter_at:
        return max(last_encounter_at, assignment.created_at)
    return None
