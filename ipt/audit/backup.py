"""Backup and restore of the whole database (``manage.py backup PATH`` / ``restore PATH``).

File format (``format_version`` 1): a ZIP archive holding
- ``data.jsonl``: for each table a header line ``{"table", "model", "columns"}`` then one JSON array
  per row, in primary-key order. Values are JSON where they can be (JSON fields nested as they are);
  dates and times as ISO 8601, UUIDs and decimals as strings, durations as ISO 8601 durations,
  binary as base64. Encrypted fields hold the stored Fernet token, never the plaintext.
- ``manifest.json``: format and version, when it was made, from which database vendor, the applied
  migrations, the row count of every table, the tables left out and why, the SHA-256 and size of
  ``data.jsonl``, and the audit chain's state when the backup was taken.

Values are read through the ORM (so each backend's converters apply) and written back with each
field's own ``get_db_prep_save``, which is what lets a SQLite backup restore into PostgreSQL and
back. Encrypted columns bypass the field: their ciphertext is read and written as plain text.

Left out: ``accounts_session`` and Django's own ``django_session`` (live sign-ins: restoring them
would revive logins, and a leaked backup would carry usable session keys; everyone signs in again)
and ``django_migrations`` (schema state: the target is migrated by ``manage.py migrate``, and the
manifest's migration list must match it).
Uploaded files outside the database are not covered: the project keeps none (attachments are stored
in the database).
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import ExpressionWrapper, F
from django.utils import timezone
from django.utils.duration import duration_iso_string

from ipt.lib.crypto import EncryptedTextField, decrypt

FORMAT = "ipt-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATA_NAME = "data.jsonl"
READ_CHUNK = 2000
WRITE_BATCH = 500

SESSIONS_LEFT_OUT = (
    "live sign-ins: restoring them would revive logins, and a leaked backup would carry usable session "
    "keys; everyone signs in again after a restore"
)
EXCLUDED_TABLES = {
    "accounts_session": SESSIONS_LEFT_OUT,
    "django_session": SESSIONS_LEFT_OUT,
    "django_migrations": "schema state, not data: the target is migrated with `manage.py migrate` and must "
    "have exactly the migrations listed in the manifest",
}

# Tables that `manage.py migrate` fills by itself (post_migrate signals and data migrations). A restore
# into a freshly migrated database replaces their rows with the backup's; every other table must be
# empty. A new data migration must be added here, or restore will (loudly) call the database non-empty.
SEEDED_BY_MIGRATE = {
    "contenttypes.contenttype",
    "auth.permission",
    "safety.crisisline",
    "telehealth.consentdocument",
}


class BackupError(Exception):
    """A refusal with a message meant for the operator."""


# ---------------------------------------------------------------------------------------- tables


def backed_up_models() -> list[type[models.Model]]:
    """Every model with a table of its own, auto-created many-to-many tables included, by table name."""
    chosen = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        if meta.db_table in EXCLUDED_TABLES:
            continue
        chosen[meta.db_table] = model
    return [chosen[table] for table in sorted(chosen)]


def model_label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _is_encrypted(model_field: models.Field) -> bool:
    return isinstance(model_field, EncryptedTextField)


def require_migrated() -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise BackupError(
            "The database is not migrated to this version of IPT Online: run `manage.py migrate` first."
        )


def applied_migrations() -> list[str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


# ---------------------------------------------------------------------------------------- values


def encode_value(value: Any, model_field: models.Field) -> Any:
    if value is None or isinstance(model_field, models.JSONField):
        return value
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise BackupError(f"Cannot back up a {type(value).__name__} value of {model_field}.")


def decode_for_db(value: Any, model_field: models.Field) -> Any:
    """The value ready for the cursor of the current connection."""
    if value is None:
        return None
    if _is_encrypted(model_field):
        return value  # the stored Fernet token, as it was
    if not isinstance(model_field, models.JSONField):
        value = model_field.to_python(value)
    return model_field.get_db_prep_save(value, connection)


def rows_of(model: type[models.Model]) -> tuple[list[str], Iterator[tuple]]:
    """Column names and the raw rows of one table, ordered by primary key (ciphertext stays ciphertext)."""
    fields = model._meta.concrete_fields
    selected: list[Any] = []
    for model_field in fields:
        if _is_encrypted(model_field):
            selected.append(ExpressionWrapper(F(model_field.attname), output_field=models.TextField()))
        else:
            selected.append(model_field.attname)
    rows = model._base_manager.order_by("pk").values_list(*selected).iterator(chunk_size=READ_CHUNK)
    return [str(model_field.column) for model_field in fields], rows


def table_fingerprint(model: type[models.Model]) -> str:
    """SHA-256 of a table's encoded rows: equal before a backup and after its restore."""
    digest = hashlib.sha256()
    _, rows = rows_of(model)
    fields = model._meta.concrete_fields
    for row in rows:
        encoded = [encode_value(value, f) for value, f in zip(row, fields, strict=True)]
        digest.update(json.dumps(encoded, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------- backup


@dataclass
class BackupResult:
    path: Path
    manifest: dict


def _begin_snapshot(outermost: bool) -> None:
    # Every table read from one snapshot while the application keeps running. SQLite: the
    # IMMEDIATE transaction already holds the write lock until the backup is written. Inside an
    # enclosing transaction (tests) the snapshot is that transaction's.
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def write_backup(path: Path) -> BackupResult:
    """Write the backup to ``path`` atomically (a temporary file beside it, then a rename)."""
    from ipt.audit.actions import record, verify_chain

    path = Path(path)
    require_migrated()
    directory = path.parent.resolve()
    if not directory.is_dir():
        raise BackupError(f"The folder {directory} does not exist.")
    handle, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        os.chmod(temporary, 0o600)  # it holds password hashes and TOTP secrets
        # Recorded (and committed) before the snapshot, so the backup carries the record of its own
        # making, and the chain's lock is not held while the tables are read. A failed attempt stays
        # recorded.
        record(actor=None, action="backup.create", detail={"file": path.name})
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            _begin_snapshot(outermost)
            created_at = timezone.now()
            chain_problem = verify_chain()
            manifest = _write_archive(temporary) | {"created_at": created_at.isoformat()}
            manifest["audit_chain"] = (
                "intact"
                if chain_problem is None
                else f"broken at event {chain_problem.event_id}: {chain_problem.reason}"
            )
            _write_manifest(temporary, manifest)
            with open(temporary, "rb") as stream:
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        _fsync_directory(directory)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return BackupResult(path, manifest)


def _write_archive(temporary: Path) -> dict:
    digest = hashlib.sha256()
    size = 0
    tables: dict[str, dict] = {}
    with (
        zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
        archive.open(DATA_NAME, "w", force_zip64=True) as data,
    ):
        for model in backed_up_models():
            columns, rows = rows_of(model)
            fields = model._meta.concrete_fields
            header = {"table": model._meta.db_table, "model": model_label(model), "columns": columns}
            lines: list[Any] = [header]
            count = 0
            for row in rows:
                lines.append([encode_value(value, f) for value, f in zip(row, fields, strict=True)])
                count += 1
                if len(lines) >= READ_CHUNK:
                    size += _write_lines(data, digest, lines)
                    lines = []
            size += _write_lines(data, digest, lines)
            tables[model._meta.db_table] = {"model": model_label(model), "rows": count}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "database_vendor": connection.vendor,
        "django_version": django.get_version(),
        "migrations": applied_migrations(),
        "tables": tables,
        "excluded_tables": EXCLUDED_TABLES,
        "encrypted_columns": sorted(
            f"{m._meta.db_table}.{f.column}"
            for m in backed_up_models()
            for f in m._meta.concrete_fields
            if _is_encrypted(f)
        ),
        "content": {"file": DATA_NAME, "sha256": digest.hexdigest(), "bytes": size},
    }


def _write_lines(data, digest, lines: list) -> int:
    if not lines:
        return 0
    chunk = "".join(
        json.dumps(line, separators=(",", ":"), ensure_ascii=False, sort_keys=True) + "\n" for line in lines
    )
    encoded = chunk.encode()
    digest.update(encoded)
    data.write(encoded)
    return len(encoded)


def _write_manifest(temporary: Path, manifest: dict) -> None:
    with zipfile.ZipFile(temporary, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------------------------------- restore


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict[str, int] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)


def read_manifest(path: Path) -> dict:
    """The manifest, after checking that the file is a whole backup whose content matches it."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if names != {MANIFEST_NAME, DATA_NAME}:
                raise BackupError(f"{path} is not an IPT backup (it holds {sorted(names)}).")
            manifest = json.loads(archive.read(MANIFEST_NAME))
            _check_manifest_shape(manifest)
            _check_content(archive, manifest)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
    ) as error:
        raise BackupError(f"{path} is damaged: {type(error).__name__}: {error}") from error
    return manifest


def _check_manifest_shape(manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The manifest does not describe an IPT backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Backup format version {manifest.get('format_version')!r} is not supported "
            f"(this version reads {FORMAT_VERSION})."
        )
    for key in ("created_at", "migrations", "tables", "content"):
        if key not in manifest:
            raise BackupError(f"The manifest has no {key!r}.")


def _check_content(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Hash and parse the whole content; compare sizes, the hash and every table's count."""
    digest = hashlib.sha256()
    size = 0
    counts: dict[str, int] = {}
    current: str | None = None
    width = 0
    encrypted_samples: dict[str, str] = {}
    encrypted_positions: list[tuple[int, str]] = []
    encrypted_columns = set(manifest.get("encrypted_columns", []))
    with archive.open(DATA_NAME) as data:
        for line in data:
            digest.update(line)
            size += len(line)
            item = json.loads(line)
            if isinstance(item, dict):
                current = item["table"]
                if current in counts:
                    raise BackupError(f"Table {current} appears twice in the backup.")
                counts[current] = 0
                width = len(item["columns"])
                encrypted_positions = [
                    (index, f"{current}.{column}")
                    for index, column in enumerate(item["columns"])
                    if f"{current}.{column}" in encrypted_columns
                ]
            elif isinstance(item, list) and current is not None and len(item) == width:
                counts[current] += 1
                for index, name in encrypted_positions:
                    if name not in encrypted_samples and item[index]:
                        encrypted_samples[name] = item[index]
            else:
                raise BackupError("The backup content has a malformed line.")
    content = manifest["content"]
    if size != content.get("bytes") or digest.hexdigest() != content.get("sha256"):
        raise BackupError(
            "The content does not match the manifest's SHA-256 "
            f"(expected {content.get('sha256')}, found {digest.hexdigest()})."
        )
    expected = {table: info["rows"] for table, info in manifest["tables"].items()}
    if counts != expected:
        differing = sorted(t for t in set(counts) | set(expected) if counts.get(t) != expected.get(t))
        raise BackupError(f"Row counts differ from the manifest in: {', '.join(differing)}.")
    for name, token in sorted(encrypted_samples.items()):
        try:
            decrypt(token)
        except Exception as error:
            raise BackupError(
                f"{name} cannot be decrypted with FIELD_ENCRYPTION_KEYS: restore with the keys the "
                "backup was made under (old keys may follow the new one in the list)."
            ) from error


def _check_schema(manifest: dict, models_by_table: dict[str, type[models.Model]]) -> None:
    here = set(applied_migrations())
    there = set(manifest["migrations"])
    if here != there:
        missing, extra = sorted(there - here), sorted(here - there)
        parts = []
        if missing:
            parts.append(f"not applied here: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if extra:
            parts.append(
                f"applied here but not in the backup: {', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}"
            )
        raise BackupError(
            "The database schema differs from the backup's ("
            + "; ".join(parts)
            + "). Run `manage.py migrate` on an empty database of the same version of IPT Online."
        )
    if set(models_by_table) != set(manifest["tables"]):
        differing = sorted(set(models_by_table) ^ set(manifest["tables"]))
        raise BackupError(f"The backup's tables differ from this database's: {', '.join(differing)}.")


def non_empty_tables(models_by_table: dict[str, type[models.Model]]) -> list[str]:
    return [
        table
        for table, model in models_by_table.items()
        if model_label(model) not in SEEDED_BY_MIGRATE and model._base_manager.exists()
    ]


def restore_backup(path: Path, *, force: bool = False) -> RestoreResult:
    """Restore ``path`` into this database in one transaction; any failure changes nothing."""
    from ipt.audit.actions import verify_chain

    manifest = read_manifest(path)
    require_migrated()
    models_by_table = {model._meta.db_table: model for model in backed_up_models()}
    _check_schema(manifest, models_by_table)
    occupied = non_empty_tables(models_by_table)
    if occupied and not force:
        shown = ", ".join(occupied[:8]) + (" ..." if len(occupied) > 8 else "")
        raise BackupError(
            f"The database is not empty ({len(occupied)} table(s) hold rows: {shown}). Restore into an "
            "empty database after `manage.py migrate`, or pass --force to replace everything in it."
        )
    result = RestoreResult(manifest)
    with transaction.atomic():
        replaced = [
            table
            for table, model in models_by_table.items()
            if (force or model_label(model) in SEEDED_BY_MIGRATE) and model._base_manager.exists()
        ]
        with connection.cursor() as cursor:
            for table in replaced:
                # The table name is a model's db_table (a key of models_by_table), never input.
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608
        result.replaced = replaced
        _insert_rows(path, models_by_table)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(models_by_table.values())):
                cursor.execute(statement)
        connection.check_constraints(table_names=list(models_by_table))
        result.counts = {table: model._base_manager.count() for table, model in models_by_table.items()}
        expected = {table: info["rows"] for table, info in manifest["tables"].items()}
        if result.counts != expected:
            differing = sorted(t for t in expected if result.counts.get(t) != expected[t])
            raise BackupError(
                f"After restoring, row counts differ from the manifest in: {', '.join(differing)}."
            )
        problem = verify_chain()
        if problem is not None:
            raise BackupError(
                f"After restoring, the audit chain breaks at event {problem.event_id}: {problem.reason} "
                f"(when the backup was made it was {manifest.get('audit_chain', 'not checked')})."
            )
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    return result


def _insert_rows(path: Path, models_by_table: dict[str, type[models.Model]]) -> None:
    quote = connection.ops.quote_name
    with zipfile.ZipFile(path) as archive, archive.open(DATA_NAME) as data, connection.cursor() as cursor:
        statement = ""
        fields: list[models.Field] = []
        batch: list[list] = []
        for line in data:
            item = json.loads(line)
            if isinstance(item, dict):
                if batch:
                    cursor.executemany(statement, batch)
                    batch = []
                model = models_by_table[item["table"]]
                by_column = {str(f.column): f for f in model._meta.concrete_fields}
                unknown = [column for column in item["columns"] if column not in by_column]
                if unknown:
                    raise BackupError(f"Table {item['table']} has no column(s) {', '.join(unknown)} here.")
                fields = [by_column[column] for column in item["columns"]]
                # Names from the model (the file's names were only used to look them up); values are parameters.
                columns = ", ".join(quote(str(f.column)) for f in fields)
                placeholders = ", ".join(["%s"] * len(fields))
                table = quote(model._meta.db_table)
                statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
                continue
            batch.append([decode_for_db(value, f) for value, f in zip(item, fields, strict=True)])
            if len(batch) >= WRITE_BATCH:
                cursor.executemany(statement, batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
