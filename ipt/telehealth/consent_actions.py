"""Changes around telehealth readiness: signing the consent, publishing a new version, and the
patient's location for a session. Keyword-only, actor first, one transaction, one audit event
(never with the patient's words or whereabouts in its detail).
"""

import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ipt.accounts.models import Role, User
from ipt.audit.actions import client_ip, record
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth import regions
from ipt.telehealth.models import ConsentDocument, ConsentSignature, LocationCheck
from ipt.telehealth.readiness import current_consent_document

PUBLISH_ATTEMPTS = 3
JOINABLE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)
CALLBACK_ALLOWED = set("0123456789 +-()")
CALLBACK_DIGITS = (6, 20)


def _squashed(name: str) -> str:
    """A name without case, spacing or compatibility differences ("  paula  TIENT" == "Paula Tient")."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_matches(user: User, typed_name: str) -> bool:
    """The typed name is the account's first and last name, give or take case and spaces."""
    typed = _squashed(typed_name)
    expected = _squashed(f"{user.first_name} {user.last_name}")
    if not expected:
        # No name on the account: any name of reasonable length is the patient's own word.
        return len(typed) >= 2
    return typed == expected


def sign_consent(
    *, actor: User, document: ConsentDocument, typed_name: str, request=None
) -> ConsentSignature:
    """The patient signs the current version (signing twice keeps the first signature)."""
    if actor.role != Role.PATIENT:
        raise PermissionDenied("Only a patient signs the telehealth consent, from their own account.")
    current = current_consent_document()
    if current is None or current.pk != document.pk:
        raise ValidationError("This version of the consent has been replaced. Please read the new version.")
    if not name_matches(actor, typed_name):
        raise ValidationError(
            {
                "typed_name": (
                    f"Please type your full name as it appears on your account ({actor.display_name}). "
                    "Capitals and spaces do not matter."
                )
            }
        )
    existing = ConsentSignature.objects.filter(document=document, patient=actor).first()
    if existing is not None:
        return existing
    try:
        return _store_signature(actor, document, typed_name, request)
    except IntegrityError:
        # A second submit (another tab, a double click) signed this version meanwhile: keep that one.
        return ConsentSignature.objects.get(document=document, patient=actor)


def _store_signature(actor: User, document: ConsentDocument, typed_name: str, request) -> ConsentSignature:
    with transaction.atomic():
        signature = ConsentSignature.objects.create(
            document=document,
            patient=actor,
            typed_name=" ".join(typed_name.split()),
            signed_at=timezone.now(),
            ip_address=client_ip(request),
        )
        record(
            actor=actor,
            action="telehealth_consent.sign",
            target=signature,
            patient=actor,
            request=request,
            detail={"version": document.version},
        )
    return signature


def publish_consent_document(*, actor: User, title: str, body: str, request=None) -> ConsentDocument:
    """A new version, published now: every patient is asked to sign it before their next session."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only a practice admin publishes the telehealth consent.")
    title, body = title.strip(), body.strip()
    errors = {}
    if not title:
        errors["title"] = "Please give the document a title."
    if not body:
        errors["body"] = "Please write the text patients will read and sign."
    if errors:
        raise ValidationError(errors)
    for _attempt in range(PUBLISH_ATTEMPTS):
        try:
            return _publish_next_version(actor, title, body, request)
        except IntegrityError:
            # Another admin published the same number between our read and our insert: count again.
            continue
    raise ValidationError("Another version was being published at the same time. Please try again.")


def _publish_next_version(actor: User, title: str, body: str, request) -> ConsentDocument:
    with transaction.atomic():
        highest = ConsentDocument.objects.aggregate(highest=Max("version"))["highest"] or 0
        document = ConsentDocument.objects.create(
            version=highest + 1, title=title, body=body, published_at=timezone.now()
        )
        record(
            actor=actor,
            action="telehealth_consent.publish",
            target=document,
            request=request,
            detail={"version": document.version},
        )
    return document


def callback_number_problem(number: str) -> str | None:
    """Why a callback number cannot be used (None when it can): loose on format, strict on digits."""
    if not number.strip():
        return "Please give a phone number your therapist can call if the video drops."
    if set(number) - CALLBACK_ALLOWED:
        return "Use only digits, spaces, +, - and brackets, for example +1 212 555 0100."
    digits = sum(character.isdigit() for character in number)
    low, high = CALLBACK_DIGITS
    if not low <= digits <= high:
        return f"A phone number has between {low} and {high} digits; please check this one."
    return None


def location_problems(
    *, country: str, region: str, emergency_address: str, is_private: bool, callback_number: str
) -> dict[str, str]:
    problems = {}
    if not regions.is_country(country):
        problems["country"] = "Please choose the country you are in now."
    elif region and not regions.is_region_of(region, country):
        problems["region"] = "Please choose a region of the country you chose."
    elif not region and regions.has_regions(country):
        problems["region"] = "Please choose the state, province or region you are in now."
    if not emergency_address.strip():
        problems["emergency_address"] = "Please give the address where you are now, in case of an emergency."
    if not is_private:
        problems["is_private"] = (
            "Please find a private place first, then tick this box. If that is hard today, "
            "tell your therapist at the start of the session."
        )
    callback_problem = callback_number_problem(callback_number)
    if callback_problem:
        problems["callback_number"] = callback_problem
    return problems


def confirm_location(
    *,
    actor: User,
    appointment: Appointment,
    country: str,
    region: str = "",
    emergency_address: str,
    is_private: bool,
    callback_number: str,
    request=None,
) -> LocationCheck:
    """The patient says where they are for this session (a rejoin updates the same check)."""
    if actor.role != Role.PATIENT or appointment.patient_id != actor.pk:
        raise PermissionDenied("Only the appointment's patient confirms where they are.")
    if appointment.status not in JOINABLE_STATUSES:
        raise ValidationError("This session is not open for joining.")
    country, region = country.strip().upper(), region.strip().upper()
    problems = location_problems(
        country=country,
        region=region,
        emergency_address=emergency_address,
        is_private=is_private,
        callback_number=callback_number,
    )
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        check, created = LocationCheck.objects.update_or_create(
            appointment=appointment,
            defaults={
                "country": country,
                "region": region,
                "emergency_address": emergency_address.strip(),
                "is_private": is_private,
                "callback_number": " ".join(callback_number.split()),
                "confirmed_at": timezone.now(),
            },
        )
        record(
            actor=actor,
            action="location_check.confirm",
            target=check,
            patient=actor,
            request=request,
            detail={"appointment": str(appointment.pk), "updated": not created},
        )
    return check
