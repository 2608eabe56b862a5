"""The only road to break-glass grants, and through an active grant to one patient's summary.

A grant serves only the person who opened it, only until it expires, and only the emergency
summary (never a course page: ``ipt.accounts.access.care_teams_for`` is not widened, so no write
path opens). "Missing", "not yours" and "expired" look the same to anyone else (Http404).

Who sees the review list: supervisors (every grant but their own, with the reason, since judging
it is the review) and admins (who, when, for which patient, reviewed or not, but never the reason
or the review comment: those may describe the patient's emergency, and admins read no clinical
content).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from ipt.accounts.access import care_teams_for
from ipt.accounts.models import CareTeam, Role, User
from ipt.audit.models import AuditEvent
from ipt.breakglass.models import BreakGlassGrant
from ipt.measures.access import instrument_title
from ipt.measures.models import QuestionnaireResponse, ResponseStatus
from ipt.safety.crisis import country_of_patient, crisis_context
from ipt.safety.models import AlertStatus, RiskAlert, SafetyPlanVersion

OPENERS = (Role.THERAPIST, Role.SUPERVISOR)
READ_ACTION = "break_glass.read"


def grant_minutes() -> int:
    return int(getattr(settings, "IPT_BREAK_GLASS_MINUTES", 60))


def notice_days() -> int:
    return int(getattr(settings, "IPT_BREAK_GLASS_NOTICE_DAYS", 14))


def may_open(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in OPENERS


def patient_team_by_email(email: str) -> CareTeam | None:
    """The care team of the patient with exactly this address (no search, no partial match)."""
    address = (email or "").strip().lower()
    if not address:
        return None
    teams = CareTeam.objects.select_related("patient", "therapist")
    return teams.filter(patient__email=address, patient__role=Role.PATIENT).first()


def is_on_care_team(user: User, team: CareTeam) -> bool:
    return care_teams_for(user).filter(pk=team.pk).exists()


def _grants() -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.select_related(
        "opened_by", "care_team__patient", "care_team__therapist", "reviewed_by"
    )


def own_grants(user: User) -> QuerySet[BreakGlassGrant]:
    if not may_open(user):
        return BreakGlassGrant.objects.none()
    return _grants().filter(opened_by=user)


def active_own_grants(user: User) -> QuerySet[BreakGlassGrant]:
    return own_grants(user).filter(expires_at__gt=timezone.now())


def get_own_grant(user: User, grant_id) -> BreakGlassGrant:
    """The user's own grant, active or not (Http404 for anyone else's)."""
    try:
        return own_grants(user).get(pk=grant_id)
    except (BreakGlassGrant.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such emergency access.") from None


def grants_to_review_for(user: User) -> QuerySet[BreakGlassGrant]:
    """The review list: supervisors every grant but their own; admins all (shown without the
    reason); everyone else nothing."""
    if not user.is_authenticated or not user.is_active:
        return BreakGlassGrant.objects.none()
    if user.role == Role.SUPERVISOR:
        return _grants().exclude(opened_by=user)
    if user.role == Role.ADMIN:
        return _grants()
    return BreakGlassGrant.objects.none()


def get_grant_to_review_for(user: User, grant_id) -> BreakGlassGrant:
    """A grant this supervisor may mark reviewed (never their own)."""
    if user.role != Role.SUPERVISOR:
        raise Http404("No such emergency access.")
    try:
        return grants_to_review_for(user).get(pk=grant_id)
    except (BreakGlassGrant.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such emergency access.") from None


def awaiting_review_count(user: User) -> int:
    return grants_to_review_for(user).filter(reviewed_at__isnull=True).count()


def read_counts(grants) -> dict[str, int]:
    """How many times each grant's summary was read (from the audit trail, one query)."""
    ids = [str(grant.pk) for grant in grants]
    if not ids:
        return {}
    rows = (
        AuditEvent.objects.filter(action=READ_ACTION, object_id__in=ids)
        .order_by()
        .values("object_id")
        .annotate(reads=Count("id"))
    )
    return {row["object_id"]: row["reads"] for row in rows}


def notices_for_therapist(user: User) -> QuerySet[BreakGlassGrant]:
    """Recent grants on the therapist's own patients: they are told who looked, when and why."""
    if not user.is_authenticated or user.role != Role.THERAPIST:
        return BreakGlassGrant.objects.none()
    since = timezone.now() - timedelta(days=notice_days())
    return _grants().filter(care_team__therapist=user, opened_at__gte=since)


# The emergency summary ------------------------------------------------------------------------


@dataclass(frozen=True)
class LatestScore:
    title: str
    total: int | None
    severity: str
    flags: list
    submitted_at: object


@dataclass(frozen=True)
class EmergencySummary:
    team: CareTeam
    safety_plan: SafetyPlanVersion | None
    open_alerts: list[RiskAlert]
    latest_scores: list[LatestScore]
    crisis: dict


def emergency_summary(grant: BreakGlassGrant) -> EmergencySummary:
    """What an emergency reader sees of the grant's patient. The grant is the access check: call
    only with a grant from ``get_own_grant`` that is active."""
    team = grant.care_team
    plan = (
        SafetyPlanVersion.objects.filter(course__care_team=team)
        .select_related("written_by")
        .order_by("-created_at", "-version")
        .first()
    )
    alerts = list(
        RiskAlert.objects.filter(course__care_team=team, status=AlertStatus.OPEN).order_by("created_at")
    )
    # Newest first, so the first row of each instrument is its latest score.
    latest: dict[str, QuestionnaireResponse] = {}
    completed = QuestionnaireResponse.objects.filter(
        course__care_team=team, status=ResponseStatus.COMPLETED, submitted_at__isnull=False
    ).order_by("-submitted_at")
    for response in completed.only("instrument", "total", "severity", "flags", "submitted_at"):
        latest.setdefault(response.instrument, response)
    scores = [
        LatestScore(instrument_title(code), row.total, row.severity, list(row.flags or []), row.submitted_at)
        for code, row in latest.items()
    ]
    crisis = crisis_context(country_of_patient(team.patient))
    return EmergencySummary(team, plan, alerts, scores, crisis)
