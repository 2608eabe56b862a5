"""Forms of the scheduling pages: booking rules, working hours, exceptions and booking.

Times typed into a form are wall-clock times in a named zone (the therapist's); the forms turn
them into aware UTC datetimes so that the booking actions never see a naive time.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ipt.scheduling.models import AvailabilityException, TherapistProfile, Weekday, WeeklyHours
from ipt.scheduling.slots import local_to_utc, zone_of

TIME_ZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def local_datetime(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as aware UTC; a time skipped by a daylight-saving change is
    refused (it never happens on that day)."""
    instant = local_to_utc(day, at, zone)
    if instant is None:
        raise ValidationError(
            f"{at:%H:%M} does not exist on {day:%-d %b %Y} in {zone.key}: the clocks change that night."
        )
    return instant


def jurisdiction_problem(code: str) -> str | None:
    if pycountry.countries.get(alpha_2=code) is not None:
        return None
    if "-" in code and pycountry.subdivisions.get(code=code) is not None:
        return None
    return f"“{code}” is not an ISO 3166 country code (like IE) or region code (like US-NY or GB-ENG)."


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        label="Your time zone",
        help_text="Your working hours are in this zone; patients see times in their own.",
    )

    class Meta:
        model = TherapistProfile
        fields = [
            "session_minutes",
            "buffer_minutes",
            "minimum_notice_hours",
            "booking_horizon_days",
            "late_cancellation_hours",
            "licensed_jurisdictions",
        ]
        labels = {
            "session_minutes": "Session length (minutes)",
            "buffer_minutes": "Buffer after each session (minutes)",
            "minimum_notice_hours": "Minimum notice for patients (hours)",
            "booking_horizon_days": "Patients may book up to (days ahead)",
            "late_cancellation_hours": "Late-cancellation window (hours)",
            "licensed_jurisdictions": "Licensed jurisdictions",
        }
        widgets = {"licensed_jurisdictions": forms.TextInput(attrs={"placeholder": "US-NY, GB-ENG, IE"})}

    def clean_licensed_jurisdictions(self) -> str:
        raw = self.cleaned_data.get("licensed_jurisdictions", "")
        codes = [code.strip().upper() for code in raw.replace(";", ",").split(",") if code.strip()]
        problems = [problem for code in codes if (problem := jurisdiction_problem(code))]
        if problems:
            raise ValidationError(problems)
        normalised = ", ".join(dict.fromkeys(codes))
        limit = TherapistProfile._meta.get_field("licensed_jurisdictions").max_length
        if len(normalised) > limit:
            raise ValidationError(f"That is too many codes to keep (at most {limit} characters): list fewer.")
        return normalised


class WeeklyHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int, label="Day")
    starts = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends = forms.TimeField(label="To", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, therapist, **kwargs):
        self.therapist = therapist
        super().__init__(*args, prefix="hours", **kwargs)

    def clean(self):
        data = super().clean()
        starts, ends, weekday = data.get("starts"), data.get("ends"), data.get("weekday")
        if starts is None or ends is None or weekday is None:
            return data
        if ends <= starts:
            raise ValidationError("The block must end after it starts.")
        overlapping = WeeklyHours.objects.filter(
            therapist=self.therapist, weekday=weekday, starts__lt=ends, ends__gt=starts
        ).first()
        if overlapping is not None:
            raise ValidationError(
                f"This overlaps your {overlapping}. Blocks of one day may not overlap: "
                "change or remove the other block first."
            )
        return data


class ExceptionForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    is_available = forms.TypedChoiceField(
        label="That day",
        choices=[("closed", "Closed all day"), ("open", "Working other hours")],
        coerce=lambda value: value == "open",
        initial="closed",
    )
    starts = forms.TimeField(
        label="From", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label="To", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    note = forms.CharField(label="Note (for you only)", required=False, max_length=200)

    def __init__(self, *args, therapist, **kwargs):
        self.therapist = therapist
        super().__init__(*args, prefix="exception", **kwargs)

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        today = timezone.localdate(timezone.now(), zone_of(self.therapist))
        if day < today:
            raise ValidationError("That date has passed: choose today or a later date.")
        return day

    def clean(self):
        data = super().clean()
        day, is_available = data.get("date"), data.get("is_available")
        if day is None or is_available is None:
            return data
        existing = AvailabilityException.objects.filter(therapist=self.therapist, date=day)
        if not is_available:
            data["starts"] = data["ends"] = None
            if existing.exists():
                raise ValidationError(
                    f"{day:%-d %b %Y} already has an exception: remove it first to close the whole day."
                )
            return data
        starts, ends = data.get("starts"), data.get("ends")
        if starts is None or ends is None:
            raise ValidationError("Give the hours you will work that day (from and to).")
        if ends <= starts:
            raise ValidationError("The hours must end after they start.")
        if existing.filter(is_available=False).exists():
            raise ValidationError(f"{day:%-d %b %Y} is marked closed: remove that first.")
        if existing.filter(starts__lt=ends, ends__gt=starts).exists():
            raise ValidationError("These hours overlap other hours you set for that day.")
        return data


class SessionTimeForm(forms.Form):
    """One session's start: a date and a time in the therapist's zone."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, zone: ZoneInfo, **kwargs):
        self.zone = zone
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = f"In your time zone, {zone.key}."

    def clean(self):
        data = super().clean()
        if data.get("date") is not None and data.get("time") is not None:
            data["start"] = local_datetime(data["date"], data["time"], self.zone)
            if data["start"] <= timezone.now():
                raise ValidationError("That time has passed: choose a time in the future.")
        return data


class SeriesForm(SessionTimeForm):
    count = forms.IntegerField(label="Number of weekly sessions", min_value=2)

    def __init__(self, *args, remaining: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.remaining = remaining
        self.fields["date"].label = "First session date"
        self.fields["count"].max_value = remaining
        self.fields[
            "count"
        ].help_text = f"At most {remaining}: the sessions of the course not yet held or booked."
        self.fields["count"].widget.attrs.update({"min": 2, "max": max(remaining, 2)})

    def clean_count(self) -> int:
        count = self.cleaned_data["count"]
        if count > self.remaining:
            raise ValidationError(
                f"The course has {self.remaining} session{'s' if self.remaining != 1 else ''} "
                "left to book: choose fewer."
            )
        return count


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class StartForm(forms.Form):
    """A slot picked from a list: its start as ISO 8601 in UTC."""

    start = forms.CharField(max_length=40)

    def clean_start(self) -> datetime:
        raw = self.cleaned_data["start"].strip()
        try:
            start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("That is not a time we offered: choose a time from the list.") from None
        if start.tzinfo is None:
            raise ValidationError("That is not a time we offered: choose a time from the list.")
        return start.astimezone(UTC)
