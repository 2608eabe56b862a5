from datetime import date, datetime
from uuid import UUID

from ninja import Schema


class ChecklistItemOut(Schema):
    label: str
    done: bool


class PhaseChecklistOut(Schema):
    phase: str
    items: list[ChecklistItemOut]


class CourseSummaryOut(Schema):
    id: UUID
    patient_id: UUID
    therapist_id: UUID
    format: str
    status: str
    planned_sessions: int
    sessions_held: int
    created_at: datetime


class CourseOut(CourseSummaryOut):
    target_conditions: list[str]
    icd10_codes: str
    checklist: list[PhaseChecklistOut]


class InventoryPersonOut(Schema):
    id: UUID
    name: str
    relation: str
    contact_frequency: str
    satisfying: str
    unsatisfying: str
    expectations: str
    expectations_met: str
    changes_wanted: str
    closeness_ring: int
    is_deceased: bool


class TimelineEventOut(Schema):
    id: UUID
    occurred_on: date
    event_type: str
    person_id: UUID | None
    description: str
    mood: int | None
