"""S3 for every encrypted column: what is stored is ciphertext (read raw, past the ORM), on SQLite
and PostgreSQL, and `manage.py rotate_keys` re-encrypts every one of them so the old key can go.

The rows are made up (one per model that has an encrypted field, foreign keys filled from other
made-up rows), then every encrypted field is given a marker text through the ORM: the same
``EncryptedTextField.get_prep_value`` every write of the app goes through.
"""

import os
import shutil
import subprocess
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ipt.audit.tests.test_backup import fill_empty_tables
from ipt.lib import crypto
from ipt.scheduling.models import Appointment

MARKER = "PLAINTEXT-MARKER"
FERNET_PREFIX = "gAAAAA"

# What S3 names, by model and field: each must be an encrypted column.
REQUIRED = {
    "messaging.Thread": {"subject"},
    "messaging.Message": {"body"},
    "messaging.Attachment": {"file_name", "content_base64"},
    "practice.DiaryEntry": {"note"},
    "practice.DiaryInteraction": {"other_person", "what_happened"},
    "safety.SafetyPlanVersion": {
        "warning_signs",
        "coping_strategies",
        "distractions",
        "people_to_ask",
        "professionals",
        "safe_surroundings",
        "reasons_for_living",
    },
    "care.Formulation": {"clinical_text", "plain_text"},
    "visits.SessionNote": {"private_notes", "shared_summary", "risk_review", "plan"},
}


def encrypted_by_model() -> dict:
    found: dict = {}
    for model, model_field in crypto.encrypted_fields():
        found.setdefault(model, []).append(model_field)
    return found


def marker(model, model_field) -> str:
    # Words and non-ASCII too, so a partial or re-encoded leak would still show.
    return f"{MARKER} {model._meta.label}.{model_field.name} Trauer – 悲嘆 «{model._meta.model_name}»"


def build_rows_with_markers(personas) -> dict:
    """At least one row per model with an encrypted field; every encrypted value set to its marker."""
    # The filler gives start and end the same instant, which the appointment's check refuses.
    start = timezone.now() + timedelta(days=30)
    Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        start=start,
        end=start + timedelta(minutes=50),
        created_by=personas.therapist,
    )
    for _ in range(6):  # each pass fills the tables whose foreign keys now have rows
        refused = fill_empty_tables()
        if not refused:
            break
    models = encrypted_by_model()
    missing = [model._meta.label for model in models if not model._base_manager.exists()]
    assert missing == [], f"no row could be made for {missing}"
    expected = {}
    for model, model_fields in models.items():
        model._base_manager.update(**{f.attname: marker(model, f) for f in model_fields})
        for pk in model._base_manager.values_list("pk", flat=True):
            for model_field in model_fields:
                expected[(model._meta.label, model_field.attname, pk_text(pk))] = marker(model, model_field)
    return expected


def pk_text(pk) -> str:
    """A primary key as text, the same whether the driver gave a UUID, its hex or an integer."""
    return str(pk).replace("-", "")


def raw_columns(model, model_fields) -> list[tuple]:
    """(pk, value, value...) as stored, by SQL."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [model._meta.pk, *model_fields])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(model._meta.db_table)}")
        return cursor.fetchall()


def raw_table(model) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
        return repr(cursor.fetchall())


def test_the_fields_s3_names_are_encrypted_columns():
    models = {model._meta.label: {f.name for f in fields} for model, fields in encrypted_by_model().items()}
    for label, names in REQUIRED.items():
        assert names <= models.get(label, set()), f"{label}: {sorted(names - models.get(label, set()))}"


@pytest.mark.django_db(transaction=True)  # committed, so pg_dump (another process) sees the rows
def test_no_encrypted_column_holds_plaintext_read_raw(personas):
    expected = build_rows_with_markers(personas)
    models = encrypted_by_model()
    assert {label for label, _, _ in expected} >= set(REQUIRED)
    for model, model_fields in models.items():
        assert MARKER not in raw_table(model), model._meta.label
        rows = raw_columns(model, model_fields)
        assert rows, model._meta.label
        for _pk, *values in rows:
            for model_field, value in zip(model_fields, values, strict=True):
                assert value.startswith(FERNET_PREFIX), (model._meta.label, model_field.name, value[:40])
                assert crypto.decrypt(value) == marker(model, model_field)
        # And the ORM reads the plaintext back.
        for row in model._base_manager.values_list(*[f.attname for f in model_fields]):
            assert list(row) == [marker(model, f) for f in model_fields]
    if connection.vendor == "postgresql" and shutil.which("pg_dump"):
        database = connection.settings_dict
        command = ["pg_dump", "--data-only", "--dbname", database["NAME"]]
        for option, key in [("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")]:
            if database.get(key):
                command += [option, str(database[key])]
        env = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or ""}
        dump = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert dump.returncode == 0, dump.stderr
        assert FERNET_PREFIX in dump.stdout
        assert MARKER not in dump.stdout and "悲嘆" not in dump.stdout


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_rotate_keys_re_encrypts_every_encrypted_column_so_the_old_key_can_go(personas, settings):
    # The personas were stored under the test key: keep it readable while the rows are made, then
    # every encrypted value is rewritten (with its marker) under the old key.
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    expected = build_rows_with_markers(personas)
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    models = encrypted_by_model()
    before = {
        (model._meta.label, f.attname, pk_text(pk)): value
        for model, model_fields in models.items()
        for pk, *values in raw_columns(model, model_fields)
        for f, value in zip(model_fields, values, strict=True)
    }
    assert before.keys() == expected.keys()
    for value in before.values():
        Fernet(OLD_KEY.encode()).decrypt(value.encode())  # all under the old key

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    output = StringIO()
    call_command("rotate_keys", stdout=output)
    assert f"Re-encrypted {len(expected)} value(s)" in output.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key removed
    for model, model_fields in models.items():
        for pk, *values in raw_columns(model, model_fields):
            for model_field, value in zip(model_fields, values, strict=True):
                key = (model._meta.label, model_field.attname, pk_text(pk))
                assert value != before[key], f"{key} was not re-encrypted"
                assert Fernet(NEW_KEY.encode()).decrypt(value.encode()).decode() == expected[key]
                with pytest.raises(InvalidToken):
                    Fernet(OLD_KEY.encode()).decrypt(value.encode())
        attnames = [f.attname for f in model_fields]
        for pk, *values in model._base_manager.values_list("pk", *attnames):
            assert values == [expected[(model._meta.label, a, pk_text(pk))] for a in attnames]
