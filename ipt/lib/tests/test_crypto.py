"""Encryption at rest of free-text clinical fields (S3): no plaintext in tables, files or dumps; rotation."""

import os
import shutil
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from ipt.accounts.models import CareTeam, Role
from ipt.audit.models import AuditEvent
from ipt.conftest import make_user
from ipt.lib import crypto

MARKER = "SECRET-REFERRAL"
FERNET_PREFIX = "gAAAAA"  # base64 of the version byte 0x80 and the start of the timestamp


def raw_referral_reasons() -> dict[str, str]:
    """The referral_reason column as stored, read past the ORM."""
    table = connection.ops.quote_name(CareTeam._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, referral_reason FROM {table}")
        return {str(pk).replace("-", ""): value for pk, value in cursor.fetchall()}


def test_a_referral_reason_reads_back_decrypted_through_the_orm(personas):
    team = CareTeam.objects.get(pk=personas.care_team.pk)
    assert team.referral_reason == "SECRET-REFERRAL-patient grief after loss"


def test_the_careteam_table_holds_fernet_tokens_and_no_plaintext(personas):
    table = connection.ops.quote_name(CareTeam._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        rows = cursor.fetchall()
    assert len(rows) == 2
    assert MARKER not in repr(rows)
    for token in raw_referral_reasons().values():
        assert token.startswith(FERNET_PREFIX)
        assert crypto.fernet().decrypt(token.encode()).decode().startswith(MARKER)


def test_the_same_text_is_never_stored_twice_the_same_way(personas):
    CareTeam.objects.filter(pk=personas.other_care_team.pk).update(
        referral_reason=personas.care_team.referral_reason
    )
    first, second = raw_referral_reasons().values()
    assert first != second


SQLITE_FILE_SCRIPT = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from ipt.accounts.models import CareTeam, Role, User
patient = User.objects.create(email="file.patient@example.test", role=Role.PATIENT)
therapist = User.objects.create(email="file.therapist@example.test", role=Role.THERAPIST)
CareTeam.objects.create(patient=patient, therapist=therapist, referral_reason={plaintext!r})
print(CareTeam.objects.get().referral_reason)
"""


def test_a_sqlite_database_file_holds_no_plaintext(tmp_path):
    plaintext = "SECRET-REFERRAL-file grief after the loss of her mother"
    database = tmp_path / "x.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "-c"]
    result = subprocess.run(
        [*command, SQLITE_FILE_SCRIPT.format(plaintext=plaintext)],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # The last line: the shell may first say what it imported.
    assert result.stdout.strip().splitlines()[-1] == plaintext, "the row reads back with the same keys"
    files = [path for path in tmp_path.iterdir() if path.name.startswith(database.name)]
    assert database in files
    for path in files:  # the database and any -wal or -journal beside it
        data = path.read_bytes()
        assert plaintext.encode() not in data, path.name
        assert MARKER.encode() not in data, path.name
    assert FERNET_PREFIX.encode() in database.read_bytes()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_postgresql_dump_holds_no_plaintext(personas):
    if connection.vendor != "postgresql":
        pytest.skip("the dump check is for PostgreSQL")
    db = connection.settings_dict
    command = ["pg_dump", "--data-only", "--table", CareTeam._meta.db_table, "--dbname", db["NAME"]]
    for option, key in [("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")]:
        if db.get(key):
            command += [option, str(db[key])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert FERNET_PREFIX in result.stdout
    assert MARKER not in result.stdout


# Keys


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_rotate_keys_re_encrypts_every_value_so_the_old_key_can_go(personas, settings):
    originals = {
        personas.care_team.pk: "SECRET-REFERRAL-patient grief after loss",
        personas.other_care_team.pk: "SECRET-REFERRAL-other_patient dispute with sister",
    }
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    for pk, text in originals.items():
        CareTeam.objects.filter(pk=pk).update(referral_reason=text)
    unicode_team = CareTeam.objects.create(
        patient=make_user("third.patient@example.test", Role.PATIENT),
        therapist=personas.therapist,
        referral_reason="SECRET-REFERRAL-Trauer nach dem Verlust – 悲嘆, «role transition»",
    )
    blank_team = CareTeam.objects.create(
        patient=make_user("fourth.patient@example.test", Role.PATIENT), therapist=personas.therapist
    )
    originals[unicode_team.pk] = unicode_team.referral_reason
    originals[blank_team.pk] = ""
    before = raw_referral_reasons()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ImproperlyConfigured, match="could not be decrypted"):
        list(CareTeam.objects.exclude(referral_reason=""))

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    output = StringIO()
    call_command("rotate_keys", stdout=output)
    assert "Re-encrypted" in output.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert {team.pk: team.referral_reason for team in CareTeam.objects.all()} == originals
    after = raw_referral_reasons()
    for pk, token in after.items():
        if token:
            assert token != before[pk]
            assert Fernet(NEW_KEY.encode()).decrypt(token.encode()).decode().startswith(MARKER)
    assert after[blank_team.pk.hex] == ""
    assert AuditEvent.objects.filter(action="keys.rotate").exists()


@pytest.mark.parametrize(
    "keys",
    [["not-a-fernet-key"], [Fernet.generate_key().decode(), "c2hvcnQ="], []],
    ids=["not base64 of 32 bytes", "one bad key among good ones", "no key at all"],
)
def test_an_invalid_key_in_settings_is_a_clear_configuration_error(settings, keys):
    settings.FIELD_ENCRYPTION_KEYS = keys
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS") as raised:
        crypto.encrypt("SECRET-REFERRAL")
    for key in keys:
        assert key not in str(raised.value), "the error must not print a key"
