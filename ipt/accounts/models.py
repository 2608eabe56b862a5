"""Users, roles, care teams, invitations and API tokens."""

import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone

from ipt.lib.crypto import EncryptedTextField


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    THERAPIST = "therapist", "Therapist"
    SUPERVISOR = "supervisor", "Clinical supervisor"
    ADMIN = "admin", "Practice admin"


STAFF_ROLES = frozenset({Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN})


class UserManager(BaseUserManager["User"]):
    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    supervisor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervisees",
        limit_choices_to={"role": Role.SUPERVISOR},
        help_text="For therapists: the clinical supervisor who sees their caseload.",
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT


class CareTeam(models.Model):
    """A patient, their therapist and the therapist's supervisor: who may see the record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.OneToOneField(User, on_delete=models.PROTECT, related_name="care_team")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="caseload")
    referral_reason = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient__last_name", "patient__first_name"]

    def __str__(self) -> str:
        return f"Care team of {self.patient}"

    @property
    def supervisor(self):
        return self.therapist.supervisor


class Invitation(models.Model):
    """A one-time link by email that lets an invited person set a password and join."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class CaseloadVersion(models.Model):
    """A counter that every change to what a therapist's caseload page shows moves on.

    The rendered caseload is cached under this number (ipt/accounts/caseload.py); reading it is
    one small query, so every worker process sees a change at once, whatever the cache backend.
    """

    therapist = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="caseload_version"
    )
    version = models.PositiveBigIntegerField(default=0)


class Session(AbstractBaseSession):
    """Django's database session, with whom it signs in and the TOTP device it passed as columns,
    so that every signed-in request reads all three in one query (ipt/accounts/session_store.py).
    The session data still decides: the columns only let the read join the rows it names."""

    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    otp_device_id = models.BigIntegerField(null=True)

    @classmethod
    def get_session_store_class(cls):
        from ipt.accounts.session_store import SessionStore

        return SessionStore
