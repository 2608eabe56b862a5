from datetime import datetime
from uuid import UUID

from ninja import Schema


class MeOut(Schema):
    id: UUID
    email: str
    role: str
    first_name: str
    last_name: str
    therapist_id: UUID | None = None


class PersonOut(Schema):
    id: UUID
    email: str
    first_name: str
    last_name: str


class CareTeamSummaryOut(Schema):
    id: UUID
    patient: PersonOut
    therapist: PersonOut
    created_at: datetime


class CareTeamOut(CareTeamSummaryOut):
    referral_reason: str
