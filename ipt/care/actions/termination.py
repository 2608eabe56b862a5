"""The termination review: written by the therapist with the patient, then shared with them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_therapist
from ipt.care.models import MaintenanceDecision, TerminationReview, TreatmentCourse


def save_termination_review(
    *,
    actor: User,
    course: TreatmentCourse,
    gains: str,
    warning_signs: str,
    plan: str,
    maintenance_decision: str,
    request=None,
) -> TerminationReview:
    """Save the review; once shared, the patient sees the saved changes straight away."""
    require_therapist(actor, course)
    if maintenance_decision and maintenance_decision not in MaintenanceDecision.values:
        raise ValidationError({"maintenance_decision": "Choose one of the listed options."})
    with transaction.atomic():
        review, created = TerminationReview.objects.select_for_update().get_or_create(course=course)
        review.gains, review.warning_signs, review.plan = gains.strip(), warning_signs.strip(), plan.strip()
        review.maintenance_decision = maintenance_decision
        review.updated_at = timezone.now()
        review.save()
        record(
            actor=actor,
            action="termination_review.save",
            target=review,
            patient=course.care_team.patient,
            request=request,
            detail={"created": created, "shared": review.shared_at is not None},
        )
    return review


def share_termination_review(*, actor: User, course: TreatmentCourse, request=None) -> TerminationReview:
    require_therapist(actor, course)
    with transaction.atomic():
        review = TerminationReview.objects.select_for_update().filter(course=course).first()
        if review is None or not any(
            text.strip() for text in (review.gains, review.warning_signs, review.plan)
        ):
            raise ValidationError("Write the review before sharing it.")
        if review.shared_at is not None:
            raise ValidationError("The review is already shared.")
        review.shared_at = timezone.now()
        review.save(update_fields=["shared_at"])
        record(
            actor=actor,
            action="termination_review.share",
            target=review,
            patient=course.care_team.patient,
            request=request,
        )
    return review
