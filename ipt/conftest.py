"""Personas and helpers shared by every test.

Personas: therapist (supervised by supervisor) with patient; other_therapist with other_patient;
supervisor; admin; and anonymous. Staff have a confirmed TOTP device.
"""

import email
import email.policy
import functools
import socket
import time
import uuid
from dataclasses import dataclass

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connections
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts import sessions
from ipt.accounts.models import CareTeam, Role, User

PASSWORD = "correct-horse-battery-42"
PERSONA_NAMES = [
    "therapist",
    "other_therapist",
    "patient",
    "other_patient",
    "supervisor",
    "admin",
    "anonymous",
]


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per process.
    return make_password(PASSWORD)


def make_user(email: str, role: str, **fields) -> User:
    user = User(email=email, role=role, password=_password_hash(), **fields)
    user.save()
    if user.is_staff_role:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def current_code(user: User, offset_steps: int = 0) -> str:
    """The TOTP code of the user's confirmed device now, or ``offset_steps`` steps away."""
    return device_code(TOTPDevice.objects.get(user=user, confirmed=True), offset_steps)


def device_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + offset_steps * device.step
    return f"{generator.token():0{device.digits}d}"


WEBSOCKET_ORIGIN = b"http://testserver"  # an allowed host, as a browser on the site sends it


@dataclass
class Personas:
    therapist: User
    other_therapist: User
    patient: User
    other_patient: User
    supervisor: User
    admin: User
    care_team: CareTeam
    other_care_team: CareTeam

    def get(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


@pytest.fixture
def personas(db) -> Personas:
    supervisor = make_user("supervisor@example.test", Role.SUPERVISOR, first_name="Sue", last_name="Pervisor")
    therapist = make_user(
        "therapist@example.test", Role.THERAPIST, first_name="Thea", last_name="Rapist", supervisor=supervisor
    )
    other_therapist = make_user(
        "other.therapist@example.test", Role.THERAPIST, first_name="Otto", last_name="Therapist"
    )
    patient = make_user("patient@example.test", Role.PATIENT, first_name="Paula", last_name="Tient")
    other_patient = make_user(
        "other.patient@example.test", Role.PATIENT, first_name="Oscar", last_name="Patient"
    )
    admin = make_user("admin@example.test", Role.ADMIN, first_name="Ada", last_name="Min")
    care_team = CareTeam.objects.create(
        patient=patient, therapist=therapist, referral_reason="SECRET-REFERRAL-patient grief after loss"
    )
    other_care_team = CareTeam.objects.create(
        patient=other_patient,
        therapist=other_therapist,
        referral_reason="SECRET-REFERRAL-other_patient dispute with sister",
    )
    return Personas(
        therapist, other_therapist, patient, other_patient, supervisor, admin, care_team, other_care_team
    )


def sign_in(client: Client, user: User | None) -> Client:
    """A fully signed-in session (password and, for staff, a verified TOTP device)."""
    if user is None:
        return client
    client.force_login(user, backend="ipt.accounts.backends.UserBackend")
    session = client.session
    sessions.start(session)
    if user.is_staff_role:
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client


@pytest.fixture
def client_for(personas):
    """client_for("therapist") -> a Client signed in as that persona (anonymous: not signed in)."""

    def build(name: str) -> Client:
        return sign_in(Client(), personas.get(name))

    return build


@pytest.fixture(autouse=True)
def _isolated_realtime(settings):
    """Each test gets its own channel-layer and cache prefix (shared Redis in CI)."""
    prefix = f"ipt-test-{uuid.uuid4().hex[:12]}"
    if settings.REDIS_URL:
        layers = {**settings.CHANNEL_LAYERS}
        layers["default"] = {**layers["default"], "CONFIG": {**layers["default"]["CONFIG"], "prefix": prefix}}
        settings.CHANNEL_LAYERS = layers
        caches = {**settings.CACHES}
        caches["default"] = {**caches["default"], "KEY_PREFIX": prefix}
        settings.CACHES = caches
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


class _Mailbox:
    """What a real SMTP server on loopback received."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    @staticmethod
    def body(message: email.message.EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no plain-text part"
        return part.get_content()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(settings):
    """An aiosmtpd server on loopback; Django sends real SMTP to it."""
    handler = _Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    yield handler
    controller.stop()


def session_cookie(user: User) -> bytes:
    """The Cookie header value of a fully signed-in session of ``user``."""
    client = sign_in(Client(), user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


@pytest_asyncio.fixture
async def open_socket():
    """open_socket(path, user=None, origin=...) -> (communicator, accepted, close code): a websocket
    through the real ASGI stack with the user's signed-in session; every one is closed at the end."""
    from channels.layers import get_channel_layer
    from channels.testing import WebsocketCommunicator

    from ipt.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def connect(path, user=None, *, origin=WEBSOCKET_ORIGIN):
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if user is not None:
            headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        opened.append(communicator)
        accepted, detail = await communicator.connect(5)
        return communicator, accepted, detail

    yield connect
    for communicator in opened:
        if communicator.future.done():
            communicator.future.result()  # surface an exception raised inside a consumer
        else:
            await communicator.disconnect(timeout=0.5)
    # Consumers' database work ran in the sync thread: close its connections so that the test
    # database can be dropped; then drop this test's channel-layer keys.
    await sync_to_async(connections.close_all)()
    await get_channel_layer().flush()
