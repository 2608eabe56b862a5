"""Choosing and working on the course's problem areas: one primary and at most one secondary.

Only the course's therapist writes. A removed area keeps its row (``is_removed``) so the history
of what was worked on stays readable. A role dispute's stage is tracked over time: each change
is a new ``DisputeStageChange`` row and the newest is the current stage.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_therapist
from ipt.care.models import (
    ACTIVE_STATUSES,
    DisputeStage,
    DisputeStageChange,
    InventoryPerson,
    ProblemArea,
    ProblemAreaKind,
    ProblemAreaRank,
    TreatmentCourse,
)
from ipt.care.problem_area_templates import template_for

K = ProblemAreaKind
# The fields each kind of area carries besides its goals and strategies.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    K.GRIEF: ("person", "date_of_death", "relationship_notes"),
    K.ROLE_DISPUTE: ("person",),
    K.ROLE_TRANSITION: ("old_role", "new_role"),
    K.INTERPERSONAL_DEFICITS: ("pattern_notes",),
}


def _require_open_course(course: TreatmentCourse) -> None:
    if course.status not in ACTIVE_STATUSES:
        raise ValidationError("This course has ended; its problem areas can no longer change.")


def _require_live(area: ProblemArea) -> None:
    if area.is_removed:
        raise ValidationError("This problem area was removed; choose it again to work on it.")


def _check_choice(live: list[ProblemArea], kind: str, rank: str) -> None:
    if kind not in K.values:
        raise ValidationError({"kind": "Choose one of the four problem areas."})
    if rank not in ProblemAreaRank.values:
        raise ValidationError({"rank": "Choose primary or secondary."})
    taken = next((area for area in live if area.rank == rank), None)
    if taken is not None:
        raise ValidationError(
            {
                "rank": f"There is already a {rank} problem area ({taken.get_kind_display()}); "
                "remove it first to choose another."
            }
        )
    if rank == ProblemAreaRank.SECONDARY and not any(a.rank == ProblemAreaRank.PRIMARY for a in live):
        raise ValidationError({"rank": "Choose the primary problem area first."})
    if any(area.kind == kind for area in live):
        raise ValidationError(
            {"kind": "This area is already chosen; the second area must be a different one."}
        )


def choose_problem_area(
    *, actor: User, course: TreatmentCourse, kind: str, rank: str, request=None
) -> ProblemArea:
    """Add a problem area, with goals and strategies pre-filled from the area's template."""
    require_therapist(actor, course)
    with transaction.atomic():
        # Lock the course so two choices at once cannot both take the same rank.
        locked = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        _require_open_course(locked)
        _check_choice(list(locked.problem_areas.filter(is_removed=False)), kind, rank)
        template = template_for(kind)
        try:
            with transaction.atomic():
                area = ProblemArea.objects.create(
                    course=locked, kind=kind, rank=rank, goals=template.goals, strategies=template.strategies
                )
        except IntegrityError:
            raise ValidationError({"rank": f"There is already a {rank} problem area."}) from None
        record(
            actor=actor,
            action="problem_area.choose",
            target=area,
            patient=course.care_team.patient,
            request=request,
            detail={"kind": kind, "rank": rank},
        )
    return area


def _check_person(area: ProblemArea, person: InventoryPerson | None) -> None:
    if person is not None and (person.course_id != area.course_id or person.is_removed):
        raise ValidationError({"person": "Choose someone from this patient's interpersonal inventory."})


def _check_date_of_death(date_of_death: datetime.date | None) -> None:
    if date_of_death is not None and date_of_death > timezone.localdate():
        raise ValidationError({"date_of_death": "The date of death cannot be in the future."})


def update_problem_area(
    *,
    actor: User,
    area: ProblemArea,
    goals: str,
    strategies: str,
    person: InventoryPerson | None = None,
    date_of_death: datetime.date | None = None,
    relationship_notes: str = "",
    old_role: str = "",
    new_role: str = "",
    pattern_notes: str = "",
    request=None,
) -> ProblemArea:
    """Edit the goals, strategies and the fields of the area's kind (others are left alone)."""
    course = area.course
    require_therapist(actor, course)
    _require_open_course(course)
    _require_live(area)
    values = {
        "person": person,
        "date_of_death": date_of_death,
        "relationship_notes": relationship_notes,
        "old_role": old_role,
        "new_role": new_role,
        "pattern_notes": pattern_notes,
    }
    fields = KIND_FIELDS[K(area.kind)]
    if "person" in fields:
        _check_person(area, person)
    if "date_of_death" in fields:
        _check_date_of_death(date_of_death)
    with transaction.atomic():
        area.goals, area.strategies = goals, strategies
        for name in fields:
            setattr(area, name, values[name])
        area.save(update_fields=["goals", "strategies", *fields])
        record(
            actor=actor,
            action="problem_area.update",
            target=area,
            patient=course.care_team.patient,
            request=request,
            detail={"kind": area.kind},
        )
    return area


def record_dispute_stage(
    *, actor: User, area: ProblemArea, stage: str, note: str = "", request=None
) -> DisputeStageChange:
    course = area.course
    require_therapist(actor, course)
    _require_open_course(course)
    _require_live(area)
    if area.kind != K.ROLE_DISPUTE:
        raise ValidationError("Only a role dispute has a stage.")
    if stage not in DisputeStage.values:
        raise ValidationError({"stage": "Choose renegotiation, impasse or dissolution."})
    with transaction.atomic():
        change = DisputeStageChange.objects.create(problem_area=area, stage=stage, noted_by=actor, note=note)
        record(
            actor=actor,
            action="problem_area.dispute_stage",
            target=area,
            patient=course.care_team.patient,
            request=request,
            detail={"stage": stage},
        )
    return change


def remove_problem_area(*, actor: User, area: ProblemArea, request=None) -> ProblemArea:
    """Stop working on an area; the row stays (``is_removed``) for the course's history."""
    course = area.course
    require_therapist(actor, course)
    _require_open_course(course)
    _require_live(area)
    with transaction.atomic():
        area.is_removed = True
        area.save(update_fields=["is_removed"])
        record(
            actor=actor,
            action="problem_area.remove",
            target=area,
            patient=course.care_team.patient,
            request=request,
            detail={"kind": area.kind, "rank": area.rank},
        )
    return area
