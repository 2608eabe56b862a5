"""Starting a course and moving it through its phases by guarded transitions."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt.accounts.models import CareTeam, Role, User
from ipt.audit.actions import record
from ipt.care.access import require_therapist
from ipt.care.checklist import initial_records
from ipt.care.models import (
    ACTIVE_STATUSES,
    PLANNED_SESSIONS_RANGE,
    CourseFormat,
    CourseStatus,
    StatusChange,
    TargetCondition,
    TreatmentCourse,
)

S = CourseStatus
# Legal moves. Discontinuing is possible from every active phase.
TRANSITIONS: dict[str, set[str]] = {
    S.INTAKE: {S.INITIAL, S.DISCONTINUED},
    S.INITIAL: {S.MIDDLE, S.DISCONTINUED},
    S.MIDDLE: {S.TERMINATION, S.DISCONTINUED},
    S.TERMINATION: {S.COMPLETED, S.MAINTENANCE, S.DISCONTINUED},
    S.MAINTENANCE: {S.COMPLETED, S.DISCONTINUED},
    S.COMPLETED: set(),
    S.DISCONTINUED: set(),
}
ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def parse_icd10_codes(text: str) -> str:
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    bad = [code for code in codes if not ICD10.match(code)]
    if bad:
        raise ValidationError({"icd10_codes": f"Not an ICD-10 code: {', '.join(bad)} (e.g. F32.1)."})
    return ", ".join(codes)


def _validate_details(course_format: str, planned_sessions: int, target_conditions: list[str]) -> None:
    if course_format not in CourseFormat.values:
        raise ValidationError({"format": "Unknown course format."})
    low, high = PLANNED_SESSIONS_RANGE[CourseFormat(course_format)]
    if not low <= planned_sessions <= high:
        label = CourseFormat(course_format).label
        raise ValidationError({"planned_sessions": f"{label} plans {low} to {high} sessions."})
    unknown = set(target_conditions) - set(TargetCondition.values)
    if unknown:
        raise ValidationError({"target_conditions": f"Unknown condition: {', '.join(sorted(unknown))}."})


def start_course(
    *,
    actor: User,
    care_team: CareTeam,
    format: str,
    planned_sessions: int,
    target_conditions: list[str],
    icd10_codes: str = "",
    medication: str = "",
    prescriber_contact: str = "",
    request=None,
) -> TreatmentCourse:
    if actor.role != Role.THERAPIST or care_team.therapist_id != actor.pk:
        raise ValidationError("Only the patient's therapist can start a course.")
    _validate_details(format, planned_sessions, target_conditions)
    codes = parse_icd10_codes(icd10_codes)
    with transaction.atomic():
        if TreatmentCourse.objects.filter(care_team=care_team, status__in=ACTIVE_STATUSES).exists():
            raise ValidationError(
                "This patient already has an active course; end it before starting another."
            )
        course = TreatmentCourse.objects.create(
            care_team=care_team,
            format=format,
            planned_sessions=planned_sessions,
            target_conditions=target_conditions,
            icd10_codes=codes,
            medication=medication,
            prescriber_contact=prescriber_contact,
        )
        record(actor=actor, action="course.start", target=course, patient=care_team.patient, request=request)
    return course


def update_course_details(
    *,
    actor: User,
    course: TreatmentCourse,
    planned_sessions: int,
    target_conditions: list[str],
    icd10_codes: str = "",
    medication: str = "",
    prescriber_contact: str = "",
    request=None,
) -> TreatmentCourse:
    require_therapist(actor, course)
    _validate_details(course.format, planned_sessions, target_conditions)
    with transaction.atomic():
        course.planned_sessions = planned_sessions
        course.target_conditions = target_conditions
        course.icd10_codes = parse_icd10_codes(icd10_codes)
        course.medication = medication
        course.prescriber_contact = prescriber_contact
        course.save()
        record(
            actor=actor,
            action="course.update",
            target=course,
            patient=course.care_team.patient,
            request=request,
        )
    return course


def transition_problems(course: TreatmentCourse, to_status: str) -> list[str]:
    """Why this move is refused (empty when it is allowed)."""
    if to_status not in CourseStatus.values:
        return [f"'{to_status}' is not a phase."]
    if to_status not in TRANSITIONS[CourseStatus(course.status)]:
        return [
            f"A course cannot move from {course.get_status_display().lower()} to {CourseStatus(to_status).label.lower()}."
        ]
    problems = []
    if to_status == S.MIDDLE:
        records = initial_records(course)
        if not records["has_problem_area"]:
            problems.append("Choose the primary problem area first.")
        if not records["has_signed_contract"]:
            problems.append("The treatment contract must be signed by the patient and the therapist first.")
    return problems


def change_status(
    *, actor: User, course: TreatmentCourse, to_status: str, reason: str = "", request=None
) -> TreatmentCourse:
    require_therapist(actor, course)
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        problems = transition_problems(course, to_status)
        if problems:
            raise ValidationError(problems)
        if to_status == S.DISCONTINUED and not reason.strip():
            raise ValidationError({"reason": "Say briefly why the course is discontinued."})
        now = timezone.now()
        StatusChange.objects.create(
            course=course,
            from_status=course.status,
            to_status=to_status,
            changed_by=actor,
            changed_at=now,
            reason=reason,
        )
        previous, course.status, course.status_changed_at = course.status, to_status, now
        if to_status in (S.COMPLETED, S.DISCONTINUED):
            course.ended_at = now
        course.save(update_fields=["status", "status_changed_at", "ended_at"])
        record(
            actor=actor,
            action="course.status_change",
            target=course,
            patient=course.care_team.patient,
            request=request,
            detail={"from": previous, "to": to_status},
        )
    return course
