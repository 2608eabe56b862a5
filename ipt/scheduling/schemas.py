from datetime import datetime
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict


class SlotOut(Schema):
    start: datetime = Field(description="Aware UTC")
    end: datetime = Field(description="Aware UTC")


class AppointmentOut(Schema):
    id: UUID
    therapist: UUID
    patient: UUID
    course: UUID | None
    start: datetime
    end: datetime
    status: str
    is_late_cancellation: bool
    series: UUID | None


class BookIn(Schema):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not ignored

    therapist: UUID
    start: datetime = Field(description="ISO 8601 with a time zone (the start of an open slot)")
    patient: UUID | None = Field(None, description="Therapists only: the patient booked for")


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not ignored

    reason: str = Field("", max_length=2000)


class RescheduleIn(Schema):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not ignored

    start: datetime = Field(description="ISO 8601 with a time zone")
