"""When therapist and patient meet: working hours, exceptions and the Appointment.

Times are aware UTC in the database. Working hours are wall-clock times in the therapist's own
zone (``User.time_zone``), so 09:00 stays 09:00 across daylight-saving changes. An Appointment is
what was booked (FHIR Appointment); the Encounter it leads to is what happened.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class TherapistProfile(models.Model):
    """A therapist's booking rules and the jurisdictions they are licensed to practise in."""

    therapist = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="scheduling_profile"
    )
    session_minutes = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(15), MaxValueValidator(180)]
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(120)],
        help_text="Free time kept after each session",
    )
    minimum_notice_hours = models.PositiveSmallIntegerField(
        default=12, validators=[MaxValueValidator(24 * 14)], help_text="Patients cannot book sooner than this"
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        default=42, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    late_cancellation_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 7)],
        help_text="A cancellation closer than this to the start counts as late",
    )
    licensed_jurisdictions = models.CharField(
        max_length=500,
        blank=True,
        help_text="ISO 3166 codes, comma-separated: a country (IE) or a region (US-NY, GB-ENG)",
    )

    def __str__(self) -> str:
        return f"Scheduling profile of {self.therapist}"

    def jurisdiction_codes(self) -> list[str]:
        return [code.strip().upper() for code in self.licensed_jurisdictions.split(",") if code.strip()]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyHours(models.Model):
    """One block of working time on a weekday, in the therapist's own zone."""

    therapist = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="weekly_hours_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class AvailabilityException(models.Model):
    """A date that differs from the week: closed all day, or other hours that replace the usual."""

    therapist = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    is_available = models.BooleanField(default=False, help_text="Unticked: closed all day")
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="For you only, e.g. 'Holiday'")

    class Meta:
        ordering = ["date", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_available=False) | Q(starts__isnull=False, ends__gt=F("starts")),
                name="exception_hours_when_available",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date}: {'open' if self.is_available else 'closed'}"


class AppointmentStatus(models.TextChoices):
    """FHIR Appointment.status names."""

    PROPOSED = "proposed", "Proposed"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "In session"
    FULFILLED = "fulfilled", "Held"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "Missed"


# Statuses that hold the therapist's time: two of these may never overlap.
LIVE_STATUSES = (AppointmentStatus.PROPOSED, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


class Appointment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    therapist = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="appointments_as_therapist"
    )
    patient = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="appointments_as_patient"
    )
    course = models.ForeignKey(
        "care.TreatmentCourse", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    series = models.UUIDField(null=True, blank=True, help_text="Shared by the sessions of a weekly series")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancellation_reason = EncryptedTextField(blank=True)
    is_late_cancellation = models.BooleanField(default=False)
    rescheduled_to = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_from"
    )
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Set while the patient is in the waiting room"
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    encounter = models.OneToOneField(
        "visits.Encounter", on_delete=models.PROTECT, null=True, blank=True, related_name="appointment"
    )

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["therapist", "start"], name="appointment_therapist_start"),
            models.Index(fields=["patient", "start"], name="appointment_patient_start"),
            models.Index(fields=["status", "start"], name="appointment_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_end_after_start")
        ]
        # PostgreSQL also carries an exclusion constraint (migration 0002): no two live
        # appointments of one therapist overlap. SQLite serialises writes instead.

    def __str__(self) -> str:
        return f"Appointment {self.start:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class CalendarFeed(models.Model):
    """A private iCalendar feed URL. The token is kept encrypted (to show the URL again) and hashed
    (to look it up); revoking replaces it."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="calendar_feed")
    token = EncryptedTextField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class ReminderDelivery(models.Model):
    """A reminder sent: at most one per appointment, offset and start time (a moved appointment
    gets fresh reminders; a retried task does not send twice)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    offset_minutes = models.PositiveIntegerField()
    start = models.DateTimeField(help_text="The appointment's start this reminder was for")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "offset_minutes", "start"], name="one_reminder_per_offset"
            )
        ]
