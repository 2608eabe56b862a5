"""The session, the user and the TOTP device of every request are read by one written-out query
(ipt.accounts.session_store, ipt.lib.rows); they must decide exactly what Django's own reads decide."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.backends import UserBackend
from ipt.accounts.models import Session
from ipt.accounts.session_store import SessionStore, device_read_with_session, user_read_with_session
from ipt.conftest import sign_in

pytestmark = pytest.mark.django_db

MFA_PREFIX = "/mfa/"


def test_a_live_session_is_read_and_an_expired_or_unknown_one_is_not(client_for):
    client = client_for("patient")
    key = client.cookies["sessionid"].value
    assert client.get("/").status_code == 200
    assert SessionStore(key).get(DEVICE_ID_SESSION_KEY) is None  # loaded: a patient has no device
    assert "_auth_user_id" in SessionStore(key).load()

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=5))
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None  # a new key is issued, never the stale one
    assert client.get("/").url.startswith("/login/")

    assert SessionStore("no-such-session-key-0123456789abcdef").load() == {}


@pytest.mark.parametrize("persona", ["therapist", "patient"])
def test_a_signed_in_request_reads_its_session_user_and_device_in_one_query(client_for, persona):
    client = client_for(persona)
    assert client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/session/status")  # reads who is signed in and nothing else
    assert response.json()["authenticated"] is True
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    assert "accounts_session" in sql and "accounts_user" in sql and "otp_totp_totpdevice" in sql


def test_the_rows_read_with_the_session_are_the_orms_and_are_handed_on_once(personas):
    device = TOTPDevice.objects.get(user=personas.therapist, confirmed=True)
    client = _with_device(personas, device.persistent_id)
    SessionStore(client.cookies["sessionid"].value).load()

    user = user_read_with_session(str(personas.therapist.pk))
    orm = get_user_model().objects.get(pk=personas.therapist.pk)
    assert model_to_dict(user) == model_to_dict(orm)
    assert user.last_login == orm.last_login and user.date_joined == orm.date_joined
    assert model_to_dict(device_read_with_session(device.pk)) == model_to_dict(device)
    assert user_read_with_session(str(orm.pk)) is None and device_read_with_session(device.pk) is None

    SessionStore(client.cookies["sessionid"].value).load()
    assert user_read_with_session(str(personas.other_therapist.pk)) is None  # not the one the session names
    assert device_read_with_session(device.pk + 1) is None


def test_the_user_read_is_the_users_row_and_refuses_inactive_missing_and_malformed_ids(personas):
    backend = UserBackend()
    user = backend.get_user(personas.therapist.pk)
    orm = get_user_model().objects.get(pk=personas.therapist.pk)
    assert model_to_dict(user) == model_to_dict(orm)
    assert user.last_login == orm.last_login and user.date_joined == orm.date_joined

    assert backend.get_user(str(personas.therapist.pk)) == orm  # as the session stores it
    assert backend.get_user("not-a-uuid") is None
    assert backend.get_user("00000000-0000-0000-0000-000000000000") is None
    get_user_model().objects.filter(pk=orm.pk).update(is_active=False)
    assert backend.get_user(orm.pk) is None


def test_a_deactivated_user_is_signed_out_on_their_next_request(client_for, personas):
    client = client_for("therapist")
    assert client.get("/").status_code == 200
    get_user_model().objects.filter(pk=personas.therapist.pk).update(is_active=False)
    assert client.get("/").url.startswith("/login/")


def _with_device(personas, persistent_id: str) -> Client:
    """The therapist signed in, with ``persistent_id`` as the session's verified device."""
    client = sign_in(Client(), personas.therapist)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()
    return client


def test_staff_pass_mfa_only_with_their_own_confirmed_device(personas):
    own = TOTPDevice.objects.get(user=personas.therapist, confirmed=True)
    assert _with_device(personas, own.persistent_id).get("/").status_code == 200

    someone_elses = TOTPDevice.objects.get(user=personas.other_therapist, confirmed=True)
    assert _with_device(personas, someone_elses.persistent_id).get("/").url.startswith(MFA_PREFIX)

    unconfirmed = TOTPDevice.objects.create(user=personas.therapist, name="new phone", confirmed=False)
    assert _with_device(personas, unconfirmed.persistent_id).get("/").url.startswith(MFA_PREFIX)


def test_a_deleted_device_ends_the_verification_and_leaves_the_session(personas):
    own = TOTPDevice.objects.get(user=personas.therapist, confirmed=True)
    client = _with_device(personas, own.persistent_id)
    key = client.cookies["sessionid"].value
    own.delete()
    assert client.get("/").url.startswith(MFA_PREFIX)
    assert DEVICE_ID_SESSION_KEY not in SessionStore(key).load()


@pytest.mark.parametrize(
    "persistent_id", ["otp_totp.totpdevice/99999999999999999999999", "otp_totp.totpdevice/x"]
)
def test_a_device_id_that_is_no_id_verifies_nothing(personas, persistent_id):
    assert _with_device(personas, persistent_id).get("/").url.startswith(MFA_PREFIX)
