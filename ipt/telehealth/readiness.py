"""What a patient must have done before a video session: consent and the location check."""

from django.utils import timezone

from ipt.accounts.models import User
from ipt.scheduling.models import Appointment
from ipt.telehealth.models import ConsentDocument, ConsentSignature, LocationCheck


def current_consent_document() -> ConsentDocument | None:
    return ConsentDocument.objects.filter(published_at__lte=timezone.now()).order_by("-version").first()


def has_current_consent(patient: User) -> bool:
    document = current_consent_document()
    return (
        document is not None and ConsentSignature.objects.filter(document=document, patient=patient).exists()
    )


def location_check_of(appointment: Appointment) -> LocationCheck | None:
    return LocationCheck.objects.filter(appointment=appointment).first()


def missing_before_joining(appointment: Appointment) -> list[str]:
    """What the patient still has to do before the waiting room (empty: ready)."""
    missing = []
    if not has_current_consent(appointment.patient):
        missing.append("consent")
    if location_check_of(appointment) is None:
        missing.append("location")
    return missing
