"""Raising and handling risk alerts (keyword-only, actor first, audited)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from ipt.audit.actions import record
from ipt.care.models import TreatmentCourse
from ipt.safety.models import RiskAlert


def _email_therapist(alert: RiskAlert) -> None:
    """Content-free on purpose: email is not a safe place for clinical detail."""
    therapist = alert.course.care_team.therapist
    link = settings.SITE_URL + reverse("home")
    send_mail(
        "IPT Online: a patient needs your attention",
        f"A patient needs your attention. Please sign in to IPT Online to see the alert:\n{link}\n",
        None,
        [therapist.email],
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
