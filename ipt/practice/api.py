"""Practice over the API: communication feedback on a message (patients only; nothing is stored)."""

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from ipt.accounts.models import Role
from ipt.practice.communication import analyse

router = Router(tags=["practice"])


class CommunicationIn(Schema):
    text: str = Field(min_length=1, max_length=2000, description="The message, 1 to 2000 characters")


class FindingOut(Schema):
    feature: str
    label: str
    kind: str
    spans: list[tuple[int, int]]
    words: list[str]
    explanation: str


class CommunicationOut(Schema):
    features: list[str]
    findings: list[FindingOut]
    strengths: list[str]
    suggestions: list[str]


@router.post(
    "/practice/communication-feedback",
    response=CommunicationOut,
    summary="Explainable feedback on a message the patient means to say (nothing is stored)",
)
def communication_feedback(request, payload: CommunicationIn):
    if request.auth.role != Role.PATIENT:
        raise PermissionDenied("Communication feedback is for patients.")
    if not payload.text.strip():
        raise NinjaValidationError([{"loc": ["body", "payload", "text"], "msg": "The text is empty."}])
    return analyse(payload.text).as_dict()
