"""The IPT course: phases, interpersonal inventory, closeness circle, timeline, problem areas,
formulation, treatment contract, work at home and the termination review.

Free text is encrypted (it is clinical); state changes only through ``actions``.
"""

import uuid

from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class CourseFormat(models.TextChoices):
    IPT = "ipt", "IPT (12–16 weekly sessions)"
    IPC = "ipc", "Brief interpersonal counselling (3–6 sessions)"
    MAINTENANCE = "maintenance", "Maintenance IPT (monthly)"


# Sessions a course of each format may plan (the primer's ranges; maintenance is open-ended).
PLANNED_SESSIONS_RANGE = {
    CourseFormat.IPT: (12, 16),
    CourseFormat.IPC: (3, 6),
    CourseFormat.MAINTENANCE: (1, 24),
}


class CourseStatus(models.TextChoices):
    INTAKE = "intake", "Intake"
    INITIAL = "initial", "Initial phase"
    MIDDLE = "middle", "Middle phase"
    TERMINATION = "termination", "Termination phase"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"
    MAINTENANCE = "maintenance", "Maintenance"


ACTIVE_STATUSES = frozenset(
    {
        CourseStatus.INTAKE,
        CourseStatus.INITIAL,
        CourseStatus.MIDDLE,
        CourseStatus.TERMINATION,
        CourseStatus.MAINTENANCE,
    }
)


class TargetCondition(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety"
    PERINATAL_DEPRESSION = "perinatal_depression", "Perinatal depression"
    PTSD = "ptsd", "PTSD"
    EATING_DISORDER = "eating_disorder", "Eating disorder"
    SUBSTANCE_USE = "substance_use", "Substance use"
    GRIEF = "grief", "Grief"
    RELATIONSHIP_PROBLEMS = "relationship_problems", "Relationship problems"
    OTHER = "other", "Other"


class TreatmentCourse(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    care_team = models.ForeignKey("accounts.CareTeam", on_delete=models.PROTECT, related_name="courses")
    format = models.CharField(max_length=20, choices=CourseFormat.choices, default=CourseFormat.IPT)
    planned_sessions = models.PositiveSmallIntegerField(default=16)
    status = models.CharField(max_length=20, choices=CourseStatus.choices, default=CourseStatus.INTAKE)
    target_conditions = models.JSONField(default=list, blank=True)
    icd10_codes = models.CharField(max_length=200, blank=True, help_text="Comma-separated, e.g. F32.1, F41.1")
    medication = EncryptedTextField(blank=True)
    prescriber_contact = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} for {self.care_team.patient}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class StatusChange(models.Model):
    """Every phase change, with who made it and why (the course's history)."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=CourseStatus.choices)
    to_status = models.CharField(max_length=20, choices=CourseStatus.choices)
    changed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]


# Interpersonal inventory -------------------------------------------------------------------------


class Relation(models.TextChoices):
    PARTNER = "partner", "Partner or spouse"
    PARENT = "parent", "Parent"
    CHILD = "child", "Child"
    SIBLING = "sibling", "Brother or sister"
    OTHER_FAMILY = "other_family", "Other family"
    FRIEND = "friend", "Friend"
    WORK = "work", "Colleague or boss"
    OTHER = "other", "Other"


class ContactFrequency(models.TextChoices):
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"
    MONTHLY = "monthly", "Every month"
    RARELY = "rarely", "Rarely"
    NONE = "none", "No contact now (e.g. died or estranged)"


class ExpectationsMet(models.TextChoices):
    YES = "yes", "Met"
    PARTLY = "partly", "Partly met"
    NO = "no", "Not met"
    UNSURE = "unsure", "Not sure"


class InventoryPerson(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="inventory")
    name = EncryptedTextField(help_text="A first name or a nickname is enough.")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    contact_frequency = models.CharField(max_length=20, choices=ContactFrequency.choices, blank=True)
    satisfying = EncryptedTextField(blank=True)
    unsatisfying = EncryptedTextField(blank=True)
    expectations = EncryptedTextField(blank=True)
    expectations_met = models.CharField(max_length=10, choices=ExpectationsMet.choices, blank=True)
    changes_wanted = EncryptedTextField(blank=True)
    closeness_ring = models.PositiveSmallIntegerField(default=2, help_text="1 closest, 3 furthest")
    is_deceased = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    is_removed = models.BooleanField(default=False)

    class Meta:
        ordering = ["closeness_ring", "created_at"]

    def __str__(self) -> str:
        return self.name


class InventoryChange(models.Model):
    """Who changed what in the inventory (patient or therapist), with the values before and after."""

    person = models.ForeignKey(InventoryPerson, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(
        max_length=10, choices=[("add", "added"), ("edit", "edited"), ("remove", "removed")]
    )
    fields = models.JSONField(default=list)
    before = EncryptedTextField(blank=True)  # JSON of the changed fields' old values
    after = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]


class ClosenessSnapshot(models.Model):
    class Moment(models.TextChoices):
        START = "start", "Start of treatment"
        END = "end", "End of treatment"

    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="closeness_snapshots")
    moment = models.CharField(max_length=10, choices=Moment.choices)
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    people = EncryptedTextField()  # JSON list of {"name", "relation", "ring"}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "moment"], name="one_snapshot_per_moment")]


# Interpersonal timeline ----------------------------------------------------------------------------


class LifeEventType(models.TextChoices):
    LOSS = "loss", "Loss or death"
    CONFLICT = "conflict", "Conflict or dispute"
    MOVE = "move", "Move"
    NEW_ROLE = "new_role", "New role (job, parent, …)"
    ROLE_ENDED = "role_ended", "Role ended (job loss, retirement, …)"
    RELATIONSHIP_START = "relationship_start", "Relationship began"
    RELATIONSHIP_END = "relationship_end", "Relationship ended"
    HEALTH = "health", "Illness or health change"
    OTHER = "other", "Other"


class TimelineEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="timeline")
    occurred_on = models.DateField()
    event_type = models.CharField(max_length=20, choices=LifeEventType.choices)
    person = models.ForeignKey(
        InventoryPerson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = EncryptedTextField(blank=True)
    mood = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Mood around then, 0 (worst) to 10 (best)"
    )
    symptom_change = EncryptedTextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_on", "created_at"]


# Problem areas ------------------------------------------------------------------------------------


class ProblemAreaKind(models.TextChoices):
    GRIEF = "grief", "Grief"
    ROLE_DISPUTE = "role_dispute", "Role dispute"
    ROLE_TRANSITION = "role_transition", "Role transition"
    INTERPERSONAL_DEFICITS = "interpersonal_deficits", "Interpersonal deficits / sensitivity"


class ProblemAreaRank(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class DisputeStage(models.TextChoices):
    RENEGOTIATION = "renegotiation", "Renegotiation (still talking)"
    IMPASSE = "impasse", "Impasse (talking has stopped)"
    DISSOLUTION = "dissolution", "Dissolution (the relationship is ending)"


class ProblemArea(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="problem_areas")
    kind = models.CharField(max_length=30, choices=ProblemAreaKind.choices)
    rank = models.CharField(max_length=10, choices=ProblemAreaRank.choices)
    # grief: who died; role dispute: with whom (both from the inventory)
    person = models.ForeignKey(
        InventoryPerson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date_of_death = models.DateField(null=True, blank=True)
    relationship_notes = EncryptedTextField(blank=True)
    old_role = EncryptedTextField(blank=True)
    new_role = EncryptedTextField(blank=True)
    pattern_notes = EncryptedTextField(blank=True)
    goals = EncryptedTextField(blank=True)
    strategies = EncryptedTextField(blank=True)
    chosen_at = models.DateTimeField(default=timezone.now)
    is_removed = models.BooleanField(default=False)

    class Meta:
        ordering = ["rank", "chosen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "rank"], condition=models.Q(is_removed=False), name="one_live_area_per_rank"
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class DisputeStageChange(models.Model):
    """The stage of a role dispute, tracked over time (the newest row is the current stage)."""

    problem_area = models.ForeignKey(ProblemArea, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=20, choices=DisputeStage.choices)
    noted_at = models.DateTimeField(default=timezone.now)
    noted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["noted_at", "id"]


# Formulation and contract -------------------------------------------------------------------------


class Formulation(models.Model):
    """A version of the interpersonal formulation; the newest is current, older ones are kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="formulations")
    version = models.PositiveSmallIntegerField()
    clinical_text = EncryptedTextField(help_text="The therapist's formulation")
    plain_text = EncryptedTextField(help_text="The same in plain words, for the patient")
    written_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    shared_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["course", "version"], name="formulation_version")]


class TreatmentContract(models.Model):
    """A version of the treatment contract; a change makes a new version and keeps the old."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="contracts")
    version = models.PositiveSmallIntegerField()
    sessions_planned = models.PositiveSmallIntegerField()
    schedule = EncryptedTextField(help_text="e.g. weekly, Tuesdays at 10:00, 50 minutes by video")
    goals = EncryptedTextField()
    missed_session_policy = EncryptedTextField()
    drafted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    therapist_signed_name = models.CharField(max_length=200, blank=True)
    therapist_signed_at = models.DateTimeField(null=True, blank=True)
    patient_signed_name = models.CharField(max_length=200, blank=True)
    patient_signed_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["course", "version"], name="contract_version")]

    @property
    def is_signed_by_both(self) -> bool:
        return self.therapist_signed_at is not None and self.patient_signed_at is not None


# Work at home and termination -----------------------------------------------------------------------


class HomeworkStatus(models.TextChoices):
    OPEN = "open", "To do"
    TRIED = "tried", "Tried it"
    NOT_TRIED = "not_tried", "Did not get to it"


class HomeworkTask(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="homework")
    agreed_in = models.ForeignKey(
        "visits.SessionNote", null=True, blank=True, on_delete=models.SET_NULL, related_name="homework"
    )
    description = EncryptedTextField()
    status = models.CharField(max_length=10, choices=HomeworkStatus.choices, default=HomeworkStatus.OPEN)
    check_in = EncryptedTextField(blank=True, help_text="How it went, in the patient's words")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class MaintenanceDecision(models.TextChoices):
    NONE = "none", "No further treatment planned"
    CONTINUATION = "continuation", "Continuation sessions"
    MAINTENANCE = "maintenance", "Maintenance IPT (monthly)"
    REFERRAL = "referral", "Referral elsewhere"


class TerminationReview(models.Model):
    course = models.OneToOneField(
        TreatmentCourse, on_delete=models.CASCADE, related_name="termination_review"
    )
    gains = EncryptedTextField(blank=True, help_text="Gains, in the patient's own words")
    warning_signs = EncryptedTextField(blank=True)
    plan = EncryptedTextField(blank=True, help_text="What to do if the warning signs come back")
    maintenance_decision = models.CharField(max_length=20, choices=MaintenanceDecision.choices, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    shared_at = models.DateTimeField(null=True, blank=True)
