from datetime import datetime
from uuid import UUID

from ninja import Schema


class SharedSummaryOut(Schema):
    """What the patient sees of a signed session."""

    encounter_id: UUID
    number: int
    starts_at: datetime
    shared_summary: str


class SessionNoteOut(Schema):
    """A note for the care team; psychotherapy (private) notes are never exported."""

    encounter_id: UUID
    number: int
    phase: str
    starts_at: datetime
    status: str
    mood_since_last: str
    mood_rating: int | None
    interpersonal_events: str
    problem_area_focus_id: UUID | None
    initial_tasks: list[str]
    techniques: list[str]
    problem_area_work: str
    homework_review: str
    work_at_home: str
    risk_level: str
    risk_review: str
    plan: str
    shared_summary: str
    signed_at: datetime | None
