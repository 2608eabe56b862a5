"""Every change to accounts: keyword-only, actor first, one transaction, one audit event."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ipt.accounts.models import STAFF_ROLES, ApiToken, CareTeam, Invitation, Role, User
from ipt.audit.actions import record


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    link = settings.SITE_URL + reverse("accept_invitation", args=[token])
    body = render_to_string(
        "accounts/email/invitation.txt",
        {"invitation": invitation, "link": link, "days": settings.INVITATION_VALID_DAYS},
    )
    send_mail("Your invitation to IPT Online", body, None, [invitation.user.email])


def _create_invitation(*, actor: User, user: User) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        invited_by=actor,
        token_hash=token_digest(token),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    return invitation, token


def _new_invited_user(email: str, first_name: str, last_name: str, role: str, **extra) -> User:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "An account with this email address already exists."})
    user = User(email=email, first_name=first_name, last_name=last_name, role=role, is_active=False, **extra)
    user.set_unusable_password()
    user.save()
    return user


def invite_patient(
    *, actor: User, email: str, first_name: str, last_name: str, referral_reason: str = "", request=None
) -> Invitation:
    if actor.role != Role.THERAPIST:
        raise PermissionDenied("Only therapists invite patients.")
    with transaction.atomic():
        patient = _new_invited_user(email, first_name, last_name, Role.PATIENT)
        team = CareTeam.objects.create(patient=patient, therapist=actor, referral_reason=referral_reason)
        invitation, token = _create_invitation(actor=actor, user=patient)
        record(actor=actor, action="patient.invite", target=team, patient=patient, request=request)
        transaction.on_commit(lambda: _send_invitation_email(invitation, token))
    return invitation


def invite_staff(
    *,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    supervisor: User | None = None,
    request=None,
) -> Invitation:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins invite staff.")
    if role not in STAFF_ROLES:
        raise ValidationError({"role": "Staff invitations are for therapists, supervisors and admins."})
    with transaction.atomic():
        user = _new_invited_user(
            email, first_name, last_name, role, supervisor=supervisor if role == Role.THERAPIST else None
        )
        invitation, token = _create_invitation(actor=actor, user=user)
        record(actor=actor, action="staff.invite", target=user, request=request, detail={"role": role})
        transaction.on_commit(lambda: _send_invitation_email(invitation, token))
    return invitation


def find_open_invitation(token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("user").filter(token_hash=token_digest(token)).first()
    if invitation is None or not invitation.is_open:
        return None
    return invitation


def accept_invitation(*, invitation: Invitation, password: str, request=None) -> User:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
        if not invitation.is_open:
            raise ValidationError("This invitation has already been used or has expired.")
        user = invitation.user
        user.set_password(password)
        user.is_active = True
        user.terms_accepted_at = timezone.now()
        user.save(update_fields=["password", "is_active", "terms_accepted_at"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        record(
            actor=user,
            action="invitation.accept",
            target=invitation,
            patient=user if user.is_patient else None,
            request=request,
        )
    return user


def change_role(*, actor: User, user: User, role: str, request=None) -> User:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins change roles.")
    if role not in Role.values:
        raise ValidationError({"role": "Unknown role."})
    if user == actor:
        raise ValidationError({"role": "You cannot change your own role."})
    if user.role == Role.PATIENT or role == Role.PATIENT:
        raise ValidationError({"role": "Patients become patients only by a therapist's invitation."})
    if user.role == Role.THERAPIST and user.caseload.exists():
        raise ValidationError({"role": "Move this therapist's patients to another therapist first."})
    with transaction.atomic():
        previous = user.role
        user.role = role
        if role != Role.THERAPIST:
            user.supervisor = None
        user.save(update_fields=["role", "supervisor"])
        record(
            actor=actor,
            action="user.role_change",
            target=user,
            request=request,
            detail={"from": previous, "to": role},
        )
    return user


def set_active(*, actor: User, user: User, active: bool, request=None) -> User:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins activate or deactivate accounts.")
    if user == actor:
        raise ValidationError("You cannot deactivate your own account.")
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        record(
            actor=actor,
            action="user.activate" if active else "user.deactivate",
            target=user,
            request=request,
        )
    return user


def create_api_token(*, actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Return the token row and the secret, which is shown once and never stored."""
    secret = "ipt_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[4:12], token_hash=token_digest(secret)
        )
        record(actor=actor or user, action="api_token.create", target=token)
    return token, secret


def revoke_api_token(*, actor: User | None, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor=actor or token.user, action="api_token.revoke", target=token)
    return token
