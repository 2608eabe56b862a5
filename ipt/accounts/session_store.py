"""Django's database sessions, read with the user they sign in and the user's TOTP device.

Every signed-in request read three rows, one query each: the session, its user (Django's auth
middleware, through our backend) and, for staff, the TOTP device the session passed (django-otp's
middleware). Here the session's read joins the other two (``ipt.accounts.models.Session`` keeps
their ids as columns) and hands them on for this request: the backend and the OTP middleware take
them when they ask for the ids the session data names, and read the row themselves otherwise.
They are as fresh as before: read in the same request, from the same database.
"""

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.models import Session, User
from ipt.lib.rows import db_datetime, joined_row


@dataclass
class _ReadWithSession:
    user: User | None
    device: TOTPDevice | None


# Set by each session read (a request reads its session before it asks who it signs in); each row
# is handed on once.
_read_with_session: ContextVar[_ReadWithSession | None] = ContextVar("ipt_read_with_session", default=None)


def user_read_with_session(user_id):
    """The user row read with this request's session, if it is the one asked for."""
    read = _read_with_session.get()
    if read is None or read.user is None or str(read.user.pk) != str(user_id):
        return None
    user, read.user = read.user, None
    return user


def device_read_with_session(device_id: int) -> TOTPDevice | None:
    read = _read_with_session.get()
    if read is None or read.device is None or read.device.pk != device_id:
        return None
    device, read.device = read.device, None
    return device


def totp_device_id(persistent_id) -> int | None:
    """The TOTP device's id in a django-otp persistent id ("otp_totp.totpdevice/5"), else None."""
    label, _, device_id = str(persistent_id or "").rpartition("/")
    if (
        label == TOTPDevice.model_label()
        and device_id.isascii()
        and device_id.isdigit()
        and len(device_id) < 19
    ):
        return int(device_id)
    return None


def _user_id(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        session = cast(Session, super().create_model_instance(data))
        session.user_id = _user_id(data.get(SESSION_KEY))
        session.otp_device_id = totp_device_id(data.get(DEVICE_ID_SESSION_KEY))
        return session

    def _get_session_from_db(self):
        found = joined_row(
            [(Session, "s"), (User, "u"), (TOTPDevice, "d")],
            f"{Session._meta.db_table} s LEFT JOIN {User._meta.db_table} u ON u.id = s.user_id"
            f" LEFT JOIN {TOTPDevice._meta.db_table} d ON d.id = s.otp_device_id",
            "s.session_key = %s AND s.expire_date > %s",
            [self.session_key, db_datetime(timezone.now())],
        )
        if found is None:
            _read_with_session.set(None)
            self._session_key = None
            return None
        session, user, device = found
        _read_with_session.set(
            _ReadWithSession(user=cast(User | None, user), device=cast(TOTPDevice | None, device))
        )
        return session
