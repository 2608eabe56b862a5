"""R4: `manage.py backup` and `restore` round-trip every table; damaged files and non-empty
databases are refused with nothing changed; encrypted fields stay encrypted in the file."""

import datetime
import decimal
import io
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from ipt.audit import backup
from ipt.audit.actions import record, verify_chain
from ipt.audit.models import AuditEvent
from ipt.lib.crypto import EncryptedTextField, decrypt

BASE_DIR = Path(__file__).resolve().parents[3]


# ------------------------------------------------------------------------------------- helpers


def filler_value(model_field: models.Field, serial: int):
    """A plausible value for one field of a row made up to fill an empty table."""
    if model_field.choices:
        return model_field.flatchoices[0][0]
    if isinstance(model_field, EncryptedTextField):
        return f"FILLER-SECRET {serial}"
    if isinstance(model_field, models.EmailField):
        return f"filler{serial}@example.test"
    if isinstance(model_field, models.URLField):
        return f"https://example.test/{serial}"
    if isinstance(model_field, models.GenericIPAddressField):
        return "127.0.0.1"
    if isinstance(model_field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(model_field, models.CharField | models.TextField):
        text = f"filler-{serial}-{uuid.uuid4().hex}"
        return text[: model_field.max_length] if model_field.max_length else text
    if isinstance(model_field, models.BooleanField):
        return True
    if isinstance(model_field, models.DecimalField):
        return decimal.Decimal("1")
    if isinstance(model_field, models.IntegerField | models.BigIntegerField | models.SmallIntegerField):
        return serial
    if isinstance(model_field, models.DateTimeField):
        return timezone.now() + datetime.timedelta(days=400 + serial)
    if isinstance(model_field, models.DateField):
        return datetime.date.today() + datetime.timedelta(days=400 + serial)
    if isinstance(model_field, models.TimeField):
        return datetime.time(9, 30)
    if isinstance(model_field, models.DurationField):
        return datetime.timedelta(minutes=5)
    if isinstance(model_field, models.JSONField):
        return {"filler": serial, "nested": [1, 2.5, None, "é"]}
    if isinstance(model_field, models.BinaryField):
        return b"\x00\x01filler"
    raise AssertionError(f"no filler for {model_field!r}")


def fill_empty_tables() -> list[str]:
    """Put one made-up row in every empty table (two passes, for foreign keys); the ones that refuse."""
    refused: dict[str, str] = {}
    for serial in range(2):
        for model in backup.backed_up_models():
            if model._base_manager.exists():
                continue
            values = {}
            try:
                for model_field in model._meta.concrete_fields:
                    if isinstance(model_field, models.AutoField):
                        continue
                    if model_field.is_relation:
                        related_model = model_field.related_model
                        assert related_model is not None and not isinstance(related_model, str)
                        related = related_model._base_manager.order_by("-pk").first()
                        if related is None:
                            raise LookupError(f"no {related_model._meta.label} yet")
                        values[model_field.attname] = related.pk
                    elif model_field.has_default() and not isinstance(model_field, models.UUIDField):
                        values[model_field.attname] = model_field.get_default()
                    else:
                        values[model_field.attname] = filler_value(model_field, serial)
                with transaction.atomic():
                    model._base_manager.bulk_create([model(**values)])
                refused.pop(model._meta.db_table, None)
            except (LookupError, IntegrityError) as error:
                refused[model._meta.db_table] = str(error)
    return sorted(refused)


def snapshot() -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its stored values (ciphertext as stored)."""
    return {
        model._meta.db_table: (model._base_manager.count(), backup.table_fingerprint(model))
        for model in backup.backed_up_models()
    }


def wipe_to_freshly_migrated() -> None:
    """Empty every table but the ones `migrate` fills itself: a new database after `migrate`."""
    with connection.cursor() as cursor:
        for model in backup.backed_up_models():
            if backup.model_label(model) not in backup.SEEDED_BY_MIGRATE:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def restore_error(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as error:
        call_command("restore", str(path), *args, stdout=io.StringIO())
    return str(error.value)


def manifest_of(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(backup.MANIFEST_NAME))


def content_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(backup.DATA_NAME)


def rewrite(path: Path, *, manifest: dict | None = None, content: bytes | None = None) -> None:
    """Write the archive again with a changed manifest or content (a valid ZIP, wrong inside)."""
    new_manifest = manifest if manifest is not None else manifest_of(path)
    new_content = content if content is not None else content_of(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(backup.DATA_NAME, new_content)
        archive.writestr(backup.MANIFEST_NAME, json.dumps(new_manifest))


def make_backup(path: Path) -> dict:
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    assert "audit chain intact" in out.getvalue()
    return manifest_of(path)


@pytest.fixture
def audited(personas):
    for number in range(5):
        record(
            actor=personas.therapist,
            action="patient.read",
            target=personas.care_team,
            patient=personas.patient,
            ip="127.0.0.1",
            detail={"n": number, "when": "now", "nested": {"b": 1, "a": [1.25, None]}},
        )
    return personas


@pytest.fixture
def populated(audited):
    """The demo practice, the personas, an audit trail, and a made-up row in every other table."""
    call_command("seed_demo", stdout=io.StringIO())
    refused = fill_empty_tables()
    assert refused == [], f"could not fill: {refused}"
    return audited


# --------------------------------------------------------------------------------------- tests


def test_every_table_round_trips_with_counts_chain_and_fresh_ids(populated, tmp_path):
    path = tmp_path / "ipt.backup"
    manifest = make_backup(path)
    before = snapshot()
    tables = {model._meta.db_table for model in backup.backed_up_models()}
    empty = [table for table, (count, _) in before.items() if count == 0]
    assert empty == [], "every table holds rows, so every table is exercised"
    assert set(manifest["tables"]) == tables
    assert {t: info["rows"] for t, info in manifest["tables"].items()} == {
        t: c for t, (c, _) in before.items()
    }
    assert "django_session" not in manifest["tables"] and "django_migrations" not in manifest["tables"]
    assert manifest["format_version"] == backup.FORMAT_VERSION and manifest["audit_chain"] == "intact"
    assert manifest["created_at"] and len(manifest["content"]["sha256"]) == 64
    assert AuditEvent.objects.filter(action="backup.create").count() == 1

    wipe_to_freshly_migrated()
    out = io.StringIO()
    call_command("restore", str(path), stdout=out)

    assert "Audit chain intact" in out.getvalue()
    assert snapshot() == before  # every value of every table, ciphertext included
    assert {t: c for t, (c, _) in snapshot().items()} == {t: i["rows"] for t, i in manifest["tables"].items()}
    assert verify_chain() is None
    call_command("verify_audit_chain", stdout=io.StringIO())
    # Restored rows keep their ids; new rows get fresh ones (sequences reset on PostgreSQL).
    newest = AuditEvent.objects.order_by("-id").first()
    assert newest is not None
    assert record(actor=None, action="after.restore").pk > newest.pk
    from ipt.messaging.models import Message

    newest_message = Message.objects.order_by("-pk").first()
    assert newest_message is not None
    fields = {
        f.attname: getattr(newest_message, f.attname)
        for f in Message._meta.concrete_fields
        if not isinstance(f, models.AutoField)
    }
    fields["client_id"] = uuid.uuid4()  # a message is sent once per client id
    assert Message.objects.create(**fields).pk > newest_message.pk
    assert verify_chain() is None


def test_encrypted_fields_stay_encrypted_in_the_file(audited, tmp_path):
    path = tmp_path / "ipt.backup"
    make_backup(path)
    content = content_of(path).decode()
    assert "SECRET-REFERRAL" not in content
    with connection.cursor() as cursor:
        care_team_id = type(audited.care_team)._meta.pk.get_db_prep_value(audited.care_team.pk, connection)
        cursor.execute("SELECT referral_reason FROM accounts_careteam WHERE id = %s", [care_team_id])
        (stored,) = cursor.fetchone()
    assert stored.startswith("gAAAA") and stored in content
    assert decrypt(stored) == "SECRET-REFERRAL-patient grief after loss"
    assert "accounts_careteam.referral_reason" in manifest_of(path)["encrypted_columns"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_damaged_file_is_refused_and_nothing_changes(audited, tmp_path):
    path = tmp_path / "ipt.backup"
    make_backup(path)
    good_manifest, good_content = manifest_of(path), content_of(path)
    wipe_to_freshly_migrated()
    empty = snapshot()

    edited = good_content.replace(b"patient.read", b"patient.edit", 1)
    rewrite(path, manifest=good_manifest, content=edited)
    assert "does not match the manifest's SHA-256" in restore_error(path)

    short_manifest = json.loads(json.dumps(good_manifest))
    short_manifest["tables"]["audit_auditevent"]["rows"] += 1
    rewrite(path, manifest=short_manifest, content=good_content)
    assert "Row counts differ from the manifest in: audit_auditevent" in restore_error(path)

    rewrite(path, manifest=good_manifest, content=good_content)
    path.write_bytes(path.read_bytes()[:-200])  # truncated
    assert "damaged" in restore_error(path)

    path.write_bytes(b"not a backup at all")
    assert "damaged" in restore_error(path)
    assert "does not exist" in restore_error(tmp_path / "missing.backup")

    newer = json.loads(json.dumps(good_manifest))
    newer["format_version"] = backup.FORMAT_VERSION + 1
    rewrite(path, manifest=newer, content=good_content)
    assert "format version" in restore_error(path)
    assert snapshot() == empty


def test_a_backup_from_another_schema_is_refused(audited, tmp_path):
    path = tmp_path / "ipt.backup"
    manifest = make_backup(path)
    wipe_to_freshly_migrated()
    empty = snapshot()
    manifest["migrations"].append("care.9999_from_the_future")
    rewrite(path, manifest=manifest)
    message = restore_error(path)
    assert "schema differs" in message and "care.9999_from_the_future" in message
    assert snapshot() == empty


def test_a_non_empty_database_is_refused_unless_forced(audited, tmp_path):
    path = tmp_path / "ipt.backup"
    make_backup(path)
    at_backup = snapshot()
    record(actor=None, action="after.backup")  # the database moves on
    moved_on = snapshot()
    message = restore_error(path)
    assert "not empty" in message and "audit_auditevent" in message and "--force" in message
    assert snapshot() == moved_on

    call_command("restore", str(path), "--force", stdout=io.StringIO())
    assert snapshot() == at_backup
    assert not AuditEvent.objects.filter(action="after.backup").exists()
    assert verify_chain() is None


def test_keys_that_cannot_decrypt_the_backup_are_refused(audited, tmp_path, settings):
    path = tmp_path / "ipt.backup"
    make_backup(path)
    wipe_to_freshly_migrated()
    empty = snapshot()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    message = restore_error(path)
    assert "cannot be decrypted with FIELD_ENCRYPTION_KEYS" in message
    assert snapshot() == empty


def test_a_failed_restore_rolls_back_everything(audited, tmp_path, monkeypatch):
    path = tmp_path / "ipt.backup"
    make_backup(path)
    wipe_to_freshly_migrated()
    empty = snapshot()

    from ipt.audit import actions

    monkeypatch.setattr(actions, "verify_chain", lambda: actions.ChainProblem(1, "a test says so"))
    message = restore_error(path)
    assert "audit chain breaks at event 1" in message
    assert snapshot() == empty


def test_the_file_is_written_atomically(audited, tmp_path, monkeypatch):
    path = tmp_path / "ipt.backup"
    path.write_bytes(b"the previous backup")
    events = AuditEvent.objects.count()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_write_manifest", disk_full)
    with pytest.raises(OSError):
        call_command("backup", str(path), stdout=io.StringIO())
    assert path.read_bytes() == b"the previous backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ipt.backup"]  # no partial file left
    assert AuditEvent.objects.count() == events + 1  # the attempt stays recorded
    assert verify_chain() is None

    monkeypatch.undo()
    make_backup(path)
    assert zipfile.is_zipfile(path)


def test_backup_refuses_a_missing_folder(audited, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "no" / "such" / "x.backup"), stdout=io.StringIO())


# ------------------------------------------------------------------ across databases (processes)


def _postgres_reachable() -> bool:
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def _manage(database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "IPT_ENV": "development",
    }
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    print(f"manage.py {args[0]} on {database_url.split(':')[0]}: {time.monotonic() - started:.1f} s")
    return done.stdout


@pytest.mark.skipif(not _postgres_reachable(), reason="needs PostgreSQL on 127.0.0.1:5432")
def test_a_sqlite_backup_restores_into_postgresql_and_back(tmp_path, db):
    """The real commands in their own processes: SQLite -> PostgreSQL -> SQLite, counts and chain."""
    if connection.vendor != "sqlite":
        pytest.skip("runs once, in the SQLite pass of the suite (it makes its own databases)")
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    name = f"ipt_backup_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    postgres = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        _manage(source, "migrate", "--no-input", "-v0")
        shutil.copyfile(tmp_path / "source.sqlite3", tmp_path / "target.sqlite3")  # migrated, empty
        _manage(source, "seed_demo")
        _manage(source, "backup", str(tmp_path / "from-sqlite.backup"))
        _manage(postgres, "migrate", "--no-input", "-v0")
        out = _manage(postgres, "restore", str(tmp_path / "from-sqlite.backup"))
        assert "every table's count equals the manifest" in out and "Audit chain intact" in out
        _manage(postgres, "backup", str(tmp_path / "from-postgres.backup"))
        out = _manage(target, "restore", str(tmp_path / "from-postgres.backup"))
        assert "Audit chain intact" in out
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    first = manifest_of(tmp_path / "from-sqlite.backup")
    second = manifest_of(tmp_path / "from-postgres.backup")
    assert first["database_vendor"] == "sqlite" and second["database_vendor"] == "postgresql"
    # The second backup holds one more audit event (its own backup.create), nothing else differs.
    first_rows = {t: i["rows"] for t, i in first["tables"].items()}
    second_rows = {t: i["rows"] for t, i in second["tables"].items()}
    assert second_rows == {**first_rows, "audit_auditevent": first_rows["audit_auditevent"] + 1}
    first_lines = content_of(tmp_path / "from-sqlite.backup").decode().splitlines()
    second_lines = content_of(tmp_path / "from-postgres.backup").decode().splitlines()
    head = first_lines.index(next(line for line in first_lines if '"table":"audit_audithead"' in line))
    assert set(first_lines) - set(second_lines) == {first_lines[head + 1]}  # the chain head moved on
    assert len(set(second_lines) - set(first_lines)) == 2  # ... to the new backup.create event
