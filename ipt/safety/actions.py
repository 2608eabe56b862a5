"""Raising and handling risk alerts, safety plans and crisis lines (keyword-only, actor first, audited).

Emails about alerts are content-free on purpose (no name, no score, no reason): email is not a safe
place for clinical detail. They go out only once the transaction that raised the alert commits.
"""

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ipt.audit.actions import record
from ipt.care.access import require_therapist, require_therapist_or_patient
from ipt.care.models import TreatmentCourse
from ipt.safety.models import (
    SAFETY_PLAN_FIELDS,
    AlertStatus,
    CrisisLine,
    RiskAlert,
    SafetyPlanVersion,
)

ALERT_SUBJECT = "IPT Online: a patient needs your attention"
ESCALATION_SUBJECT = "IPT Online: an alert has not been acknowledged"


def escalate_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "IPT_ALERT_ESCALATE_AFTER_MINUTES", 60)))


def _alerts_link() -> str:
    return settings.SITE_URL + reverse("safety_alerts")


def _email_therapist(alert: RiskAlert) -> None:
    therapist = alert.course.care_team.therapist
    send_mail(
        ALERT_SUBJECT,
        f"A patient needs your attention. Please sign in to IPT Online to see the alert:\n{_alerts_link()}\n",
        None,
        [therapist.email],
    )


def _email_supervisor(supervisor) -> None:
    send_mail(
        ESCALATION_SUBJECT,
        "An alert for a patient of a therapist you supervise has not been acknowledged in time.\n"
        f"Please sign in to IPT Online to see it:\n{_alerts_link()}\n",
        None,
        [supervisor.email],
    )


def raise_risk_alert(*, actor, course: TreatmentCourse, reason: str, source: str, request=None) -> RiskAlert:
    """Create the alert in the caller's transaction; the email goes out once it commits."""
    with transaction.atomic():
        alert = RiskAlert.objects.create(course=course, reason=reason, source=source)
        record(
            actor=actor,
            action="risk_alert.raise",
            target=alert,
            patient=course.care_team.patient,
            request=request,
            detail={"reason": reason},
        )
        transaction.on_commit(lambda: _email_therapist(alert))
    return alert


def acknowledge_alert(*, actor, alert: RiskAlert, follow_up: str, request=None) -> RiskAlert:
    """The course's therapist acknowledges the alert and documents what was done (required)."""
    require_therapist(actor, alert.course)
    follow_up = (follow_up or "").strip()
    if not follow_up:
        raise ValidationError({"follow_up": "Write down what you did to follow up."})
    with transaction.atomic():
        alert = RiskAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.status != AlertStatus.OPEN:
            raise ValidationError("This alert has already been acknowledged.")
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by = actor
        alert.acknowledged_at = timezone.now()
        alert.follow_up = follow_up
        alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "follow_up"])
        record(
            actor=actor,
            action="risk_alert.acknowledge",
            target=alert,
            patient=alert.course.care_team.patient,
            request=request,
        )
    return alert


def is_overdue(alert: RiskAlert, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return alert.status == AlertStatus.OPEN and alert.created_at <= now - escalate_after()


def escalate_overdue_alerts(now: datetime | None = None) -> list[RiskAlert]:
    """Escalate open alerts older than IPT_ALERT_ESCALATE_AFTER_MINUTES to the therapist's supervisor.

    Each alert escalates once. A therapist without an (active) supervisor: the alert stays open and
    is shown as overdue on the alerts page; it is never sent to practice admins, who see no
    clinical content.
    """
    now = now or timezone.now()
    escalated = []
    with transaction.atomic():
        overdue = (
            RiskAlert.objects.select_for_update(of=("self",))
            .filter(
                status=AlertStatus.OPEN, escalated_at__isnull=True, created_at__lte=now - escalate_after()
            )
            .select_related("course__care_team__therapist__supervisor", "course__care_team__patient")
        )
        for alert in overdue:
            supervisor = alert.course.care_team.therapist.supervisor
            if supervisor is None or not supervisor.is_active:
                continue
            alert.escalated_at = now
            alert.escalated_to = supervisor
            alert.save(update_fields=["escalated_at", "escalated_to"])
            record(
                actor=None,
                action="risk_alert.escalate",
                target=alert,
                patient=alert.course.care_team.patient,
                detail={"escalated_to": str(supervisor.pk)},
            )
            transaction.on_commit(partial(_email_supervisor, supervisor))
            escalated.append(alert)
    return escalated


# Safety plan ---------------------------------------------------------------------------------------


def save_safety_plan(
    *, actor, course: TreatmentCourse, request=None, country: str = "", **sections
) -> SafetyPlanVersion:
    """A new version, written by the patient or their therapist; the old versions are kept.

    Refused when the plan would be empty or is unchanged (nothing is stored).
    """
    require_therapist_or_patient(actor, course)
    unknown = set(sections) - set(SAFETY_PLAN_FIELDS)
    if unknown:
        raise ValueError(f"Unknown safety plan sections: {sorted(unknown)}")
    texts = {field: (sections.get(field) or "").strip() for field in SAFETY_PLAN_FIELDS}
    country = (country or "").strip().upper()
    if not any(texts.values()):
        raise ValidationError("Write something in at least one section.")
    with transaction.atomic():
        latest = (
            SafetyPlanVersion.objects.select_for_update().filter(course=course).order_by("-version").first()
        )
        if (
            latest is not None
            and country == latest.country
            and all(getattr(latest, field) == text for field, text in texts.items())
        ):
            raise ValidationError("Nothing has changed since the last version.")
        plan = SafetyPlanVersion.objects.create(
            course=course,
            version=(latest.version + 1) if latest else 1,
            country=country,
            written_by=actor,
            **texts,
        )
        record(
            actor=actor,
            action="safety_plan.save",
            target=plan,
            patient=course.care_team.patient,
            request=request,
            detail={"version": plan.version},
        )
    return plan


# Crisis lines (practice admins) ---------------------------------------------------------------------


def _require_admin(actor) -> None:
    if actor is None or actor.role != "admin":
        raise PermissionDenied("Only practice admins edit the crisis lines.")


def save_crisis_line(*, actor, line: CrisisLine, request=None) -> CrisisLine:
    _require_admin(actor)
    created = line._state.adding
    with transaction.atomic():
        line.full_clean()
        line.save()
        record(
            actor=actor,
            action="crisis_line.create" if created else "crisis_line.update",
            target=line,
            request=request,
            detail={"country": line.country, "kind": line.kind},
        )
    return line


def delete_crisis_line(*, actor, line: CrisisLine, request=None) -> None:
    _require_admin(actor)
    with transaction.atomic():
        record(
            actor=actor,
            action="crisis_line.delete",
            target=line,
            request=request,
            detail={"country": line.country, "kind": line.kind},
        )
        line.delete()
