"""The demo practice that `seed_demo` creates (demo data only: never for real patients)."""

from base64 import b32encode

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.models import CareTeam, Role, User

DEMO_PASSWORD = "demo-IPT-online-2026"
# One published TOTP secret for all demo staff, so that a newcomer can sign in within a minute.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_SECRET = b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()

STAFF = [
    ("supervisor@demo.test", "Sam", "Okafor", Role.SUPERVISOR, None),
    ("admin@demo.test", "Alex", "Moreau", Role.ADMIN, None),
    ("therapist@demo.test", "Tara", "Lindqvist", Role.THERAPIST, "supervisor@demo.test"),
    ("therapist2@demo.test", "Theo", "Nakamura", Role.THERAPIST, None),
]
PATIENTS = [
    (
        "patient@demo.test",
        "Pat",
        "Rivera",
        "therapist@demo.test",
        "Low mood for four months since arguments with partner about moving cities.",
    ),
    (
        "patient2@demo.test",
        "Priya",
        "Shah",
        "therapist2@demo.test",
        "Low mood and withdrawal after starting a new job and moving away from friends.",
    ),
]


def _account(email: str, first: str, last: str, role: str, password_hash: str) -> User:
    user, _ = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first, "last_name": last, "role": role, "terms_accepted_at": timezone.now()},
    )
    user.password = password_hash
    user.is_active = True
    user.save()
    return user


def _totp(user: User) -> None:
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Demo authenticator", defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True}
    )
    device.key, device.confirmed = DEMO_TOTP_KEY_HEX, True
    device.save()


@transaction.atomic
def seed_demo(password_hash: str) -> dict[str, User]:
    users: dict[str, User] = {}
    for email, first, last, role, supervisor in STAFF:
        user = _account(email, first, last, role, password_hash)
        if supervisor:
            user.supervisor = users[supervisor]
            user.save(update_fields=["supervisor"])
        _totp(user)
        users[email] = user
    for email, first, last, therapist, reason in PATIENTS:
        patient = _account(email, first, last, Role.PATIENT, password_hash)
        CareTeam.objects.get_or_create(
            patient=patient, defaults={"therapist": users[therapist], "referral_reason": reason}
        )
        users[email] = patient
    return users
