"""The treatment contract: drafted by the therapist, signed by both with their typed names.

Every change is a new version: the previous one is marked superseded and kept, and the new one
needs both signatures again (a signature belongs to the words that were signed).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import is_course_therapist, require_therapist, require_therapist_or_patient
from ipt.care.models import PLANNED_SESSIONS_RANGE, CourseFormat, TreatmentContract, TreatmentCourse

TERMS = ("sessions_planned", "schedule", "goals", "missed_session_policy")
NO_NAME_ON_ACCOUNT = "Your account has no name recorded, so you cannot sign yet. Ask the practice to add it."
NAME_MISMATCH = (
    "The name you typed does not match the name on your account ({expected}). Type your full name to sign."
)


def _lock(course: TreatmentCourse) -> TreatmentCourse:
    return TreatmentCourse.objects.select_for_update().get(pk=course.pk)


def current_contract(course: TreatmentCourse) -> TreatmentContract | None:
    return course.contracts.filter(superseded_at__isnull=True).order_by("-version").first()


def normalise_name(name: str) -> str:
    """Case and spacing do not matter when a person types their name to sign."""
    return " ".join(name.split()).casefold()


def account_name(user: User) -> str:
    return " ".join(f"{user.first_name} {user.last_name}".split())


def _check_sessions(course: TreatmentCourse, sessions_planned: int) -> None:
    low, high = PLANNED_SESSIONS_RANGE[CourseFormat(course.format)]
    if not low <= sessions_planned <= high:
        label = CourseFormat(course.format).label
        raise ValidationError({"sessions_planned": f"{label} plans {low} to {high} sessions."})


def draft_contract(
    *,
    actor: User,
    course: TreatmentCourse,
    sessions_planned: int,
    schedule: str,
    goals: str,
    missed_session_policy: str,
    request=None,
) -> TreatmentContract:
    require_therapist(actor, course)
    _check_sessions(course, sessions_planned)
    terms = {
        "sessions_planned": sessions_planned,
        "schedule": schedule.strip(),
        "goals": goals.strip(),
        "missed_session_policy": missed_session_policy.strip(),
    }
    empty = [name for name in TERMS[1:] if not terms[name]]
    if empty:
        raise ValidationError({name: "This part of the contract cannot be empty." for name in empty})
    with transaction.atomic():
        course = _lock(course)
        previous = current_contract(course)
        if previous is not None and all(getattr(previous, name) == terms[name] for name in TERMS):
            raise ValidationError("Nothing has changed since the current version.")
        now = timezone.now()
        if previous is not None:
            previous.superseded_at = now
            previous.save(update_fields=["superseded_at"])
        newest = course.contracts.order_by("-version").first()
        contract = TreatmentContract.objects.create(
            course=course,
            version=(newest.version + 1) if newest else 1,
            drafted_by=actor,
            drafted_at=now,
            **terms,
        )
        record(
            actor=actor,
            action="contract.draft",
            target=contract,
            patient=course.care_team.patient,
            request=request,
            detail={"version": contract.version, "supersedes": previous.version if previous else None},
        )
    return contract


def sign_contract(
    *, actor: User, course: TreatmentCourse, version: int, full_name: str, request=None
) -> TreatmentContract:
    """The therapist or the patient signs the current version by typing their account's name."""
    require_therapist_or_patient(actor, course)
    party = "therapist" if is_course_therapist(actor, course) else "patient"
    expected = account_name(actor)
    if not expected:
        raise ValidationError({"full_name": NO_NAME_ON_ACCOUNT})
    if normalise_name(full_name) != normalise_name(expected):
        raise ValidationError({"full_name": NAME_MISMATCH.format(expected=expected)})
    with transaction.atomic():
        course = _lock(course)
        contract = current_contract(course)
        if contract is None:
            raise ValidationError("There is no contract to sign yet.")
        if contract.version != version:
            raise ValidationError(
                f"Version {contract.version} has replaced the one you were reading; read it before you sign."
            )
        if getattr(contract, f"{party}_signed_at") is not None:
            raise ValidationError("You have already signed this version.")
        setattr(contract, f"{party}_signed_name", " ".join(full_name.split()))
        setattr(contract, f"{party}_signed_at", timezone.now())
        contract.save(update_fields=[f"{party}_signed_name", f"{party}_signed_at"])
        record(
            actor=actor,
            action="contract.sign",
            target=contract,
            patient=course.care_team.patient,
            request=request,
            detail={"version": contract.version, "party": party, "agreed": contract.is_signed_by_both},
        )
    return contract
