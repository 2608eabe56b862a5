"""The interpersonal formulation: the therapist writes and shares it, the patient acknowledges it.

A version that has not been shared is a draft and is saved over; once shared it is what the
patient read, so a later edit makes a new version and the old one is kept.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_patient, require_therapist
from ipt.care.models import Formulation, TreatmentCourse


def _lock(course: TreatmentCourse) -> TreatmentCourse:
    """Serialise version numbering per course (SQLite serialises writes already)."""
    return TreatmentCourse.objects.select_for_update().get(pk=course.pk)


def newest(course: TreatmentCourse) -> Formulation | None:
    return course.formulations.order_by("-version").first()


def newest_shared(course: TreatmentCourse) -> Formulation | None:
    return course.formulations.filter(shared_at__isnull=False).order_by("-version").first()


def write_formulation(
    *, actor: User, course: TreatmentCourse, clinical_text: str, plain_text: str, request=None
) -> Formulation:
    require_therapist(actor, course)
    if not clinical_text.strip() or not plain_text.strip():
        raise ValidationError("Write both the clinical formulation and the plain-language version.")
    with transaction.atomic():
        course = _lock(course)
        latest = newest(course)
        now = timezone.now()
        if latest is not None and latest.shared_at is None:
            latest.clinical_text, latest.plain_text = clinical_text, plain_text
            latest.written_by, latest.written_at = actor, now
            latest.save(update_fields=["clinical_text", "plain_text", "written_by", "written_at"])
            formulation, is_new = latest, False
        else:
            if latest is not None and (latest.clinical_text, latest.plain_text) == (
                clinical_text,
                plain_text,
            ):
                raise ValidationError("Nothing has changed since the shared version.")
            formulation = Formulation.objects.create(
                course=course,
                version=(latest.version + 1) if latest else 1,
                clinical_text=clinical_text,
                plain_text=plain_text,
                written_by=actor,
                written_at=now,
            )
            is_new = True
        record(
            actor=actor,
            action="formulation.write",
            target=formulation,
            patient=course.care_team.patient,
            request=request,
            detail={"version": formulation.version, "new_version": is_new},
        )
    return formulation


def share_formulation(*, actor: User, course: TreatmentCourse, version: int, request=None) -> Formulation:
    """Share the newest version (the one the therapist was looking at) with the patient."""
    require_therapist(actor, course)
    with transaction.atomic():
        course = _lock(course)
        latest = newest(course)
        if latest is None:
            raise ValidationError("Write the formulation before sharing it.")
        if latest.version != version:
            raise ValidationError(f"Version {latest.version} is the newest; read it again before sharing.")
        if latest.shared_at is not None:
            raise ValidationError(f"Version {latest.version} is already shared.")
        latest.shared_at = timezone.now()
        latest.save(update_fields=["shared_at"])
        record(
            actor=actor,
            action="formulation.share",
            target=latest,
            patient=course.care_team.patient,
            request=request,
            detail={"version": latest.version},
        )
    return latest


def acknowledge_formulation(
    *, actor: User, course: TreatmentCourse, version: int, request=None
) -> Formulation:
    """The patient confirms the newest shared version fits their experience (older ones: no)."""
    require_patient(actor, course)
    with transaction.atomic():
        course = _lock(course)
        current = newest_shared(course)
        if current is None:
            raise ValidationError("Your therapist has not shared a formulation with you yet.")
        if current.version != version:
            raise ValidationError(
                "Your therapist has shared a newer version. Please read it before you confirm."
            )
        if current.acknowledged_at is not None:
            raise ValidationError("You have already confirmed this version.")
        current.acknowledged_at = timezone.now()
        current.save(update_fields=["acknowledged_at"])
        record(
            actor=actor,
            action="formulation.acknowledge",
            target=current,
            patient=course.care_team.patient,
            request=request,
            detail={"version": current.version},
        )
    return current
