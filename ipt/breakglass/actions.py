"""Opening and reviewing break-glass grants (keyword-only, actor first, one transaction, audited).

Audit rows carry who, what, which patient and from where, never the reason or the review comment
(free text that may describe the emergency). The therapist's email is content-free, like the
alert emails: it says that emergency access happened and asks them to sign in.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ipt.accounts.models import CareTeam, Role, User
from ipt.audit.actions import record
from ipt.breakglass import access
from ipt.breakglass.models import BreakGlassGrant

NOTICE_SUBJECT = "IPT Online: emergency access to a patient's record"


def min_reason_length() -> int:
    return int(getattr(settings, "IPT_BREAK_GLASS_MIN_REASON", 20))


def _email_therapist(grant: BreakGlassGrant) -> None:
    send_mail(
        NOTICE_SUBJECT,
        "A colleague used emergency access to read the record of one of your patients.\n"
        f"Please sign in to IPT Online to see who, when and why:\n{settings.SITE_URL}{reverse('home')}\n",
        None,
        [grant.care_team.therapist.email],
    )


def record_refusal(*, actor: User, why: str, team: CareTeam | None = None, request=None) -> None:
    """A refused attempt is kept too: naming patients one by one would show in the trail."""
    record(
        actor=actor,
        action="break_glass.refused",
        patient=team.patient if team is not None else None,
        request=request,
        detail={"why": why},
    )


def open_grant(*, actor: User, care_team: CareTeam, reason: str, request=None) -> BreakGlassGrant:
    """A read-only grant to one patient's emergency summary, flagged for review from the start."""
    if not access.may_open(actor):
        raise PermissionDenied("Only therapists and supervisors may use emergency access.")
    if access.is_on_care_team(actor, care_team):
        raise ValidationError("This patient is already on your caseload.", code="own_caseload")
    reason = (reason or "").strip()
    if len(reason) < min_reason_length():
        raise ValidationError(
            f"Give a reason of at least {min_reason_length()} characters.", code="reason_too_short"
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            opened_by=actor,
            care_team=care_team,
            reason=reason,
            opened_at=now,
            expires_at=now + timedelta(minutes=access.grant_minutes()),
        )
        record(
            actor=actor,
            action="break_glass.open",
            target=grant,
            patient=care_team.patient,
            request=request,
            detail={
                "care_team": str(care_team.pk),
                "minutes": access.grant_minutes(),
                "flagged_for_review": True,
            },
        )
        transaction.on_commit(lambda: _email_therapist(grant))
    return grant


def record_read(*, actor: User, grant: BreakGlassGrant, request=None) -> None:
    record(
        actor=actor,
        action=access.READ_ACTION,
        target=grant,
        patient=grant.care_team.patient,
        request=request,
        detail={"care_team": str(grant.care_team_id)},
    )


def review_grant(*, actor: User, grant: BreakGlassGrant, comment: str, request=None) -> BreakGlassGrant:
    """A supervisor marks a grant reviewed with a comment (never their own grant, and only once)."""
    if actor.role != Role.SUPERVISOR or grant.opened_by_id == actor.pk:
        raise PermissionDenied("Another supervisor reviews this emergency access.")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Write what you found, for the record."})
    with transaction.atomic():
        locked = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.reviewed_at is not None:
            raise ValidationError("This emergency access has already been reviewed.", code="already_reviewed")
        locked.reviewed_by, locked.reviewed_at, locked.review_comment = actor, timezone.now(), comment
        locked.save(update_fields=["reviewed_by", "reviewed_at", "review_comment"])
        record(
            actor=actor,
            action="break_glass.review",
            target=locked,
            patient=locked.care_team.patient,
            request=request,
            detail={"opened_by": str(locked.opened_by_id)},
        )
    return locked
