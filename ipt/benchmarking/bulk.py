"""Fast inserts of many rows for the benchmark data set: COPY on PostgreSQL, executemany on SQLite.

``bulk_create`` builds a model instance per row and prepares every value through the field; for
the 1,000,000 audit rows and 300,000 questionnaire responses that alone takes minutes. Here the
conversion to the database's representation is chosen once per column (the same conversions the
fields do: UUIDs as hex on SQLite, datetimes as UTC text on SQLite, JSON as text, encrypted text
through the field), and the rows go to the database in one statement per batch.

Rows are tuples in the order of the names given (field names or attnames). Columns not named get
the field's default, computed once for the whole call, so a model whose primary key is a UUID must
name ``id``; an auto-increment key is left to the database.
"""

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models

from ipt.lib.crypto import EncryptedTextField, encrypt

SQLITE_BATCH = 5_000
_AS_IS = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _encrypted(value):
    return encrypt(value) if value else value


def _json(value):
    return json.dumps(value)


def _sqlite_datetime(value):
    # What Django's SQLite backend stores: the UTC time as naive ISO text with a space.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return str(value.replace(tzinfo=None))


def _sqlite_uuid(value):
    return value.hex


def db_value(model: type[models.Model], name: str, value):
    """One value as ``insert_rows`` would send it (to precompute values shared by many rows)."""
    convert = _converter(model._meta.get_field(name))
    return value if convert is None or value is None else convert(value)


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a Python value becomes what the database driver takes; None: as it is."""
    if isinstance(field, EncryptedTextField):
        return _encrypted
    if isinstance(field, models.JSONField):
        return _json
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    kind = target.get_internal_type()
    sqlite = connection.vendor == "sqlite"
    if kind in _AS_IS:
        return None
    if kind == "UUIDField":
        return _sqlite_uuid if sqlite else None
    if kind == "DateTimeField":
        return _sqlite_datetime if sqlite else None
    if kind == "DateField":
        return connection.ops.adapt_datefield_value if sqlite else None
    if kind == "GenericIPAddressField":
        return None  # text on both; pass None for "no address"
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[tuple], *, ready: Iterable[str] = ()
) -> int:
    """Insert ``rows`` (tuples of Python values, in the order of ``names``); returns the count.

    Columns named in ``ready`` are given already as the database takes them (``db_value``)."""
    meta = model._meta
    given = [meta.get_field(name) for name in names]
    given_names = {field.name for field in given}
    missing = [
        field
        for field in meta.concrete_fields
        if field.name not in given_names and not (field.primary_key and isinstance(field, models.AutoField))
    ]
    for field in missing:
        if field.primary_key:
            raise ValueError(f"{meta.label}: give the primary key {field.name!r} for every row.")
    defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in missing)
    fields = given + missing
    ready = set(ready)
    converters = [
        None if name in ready else _converter(field) for name, field in zip(names, given, strict=True)
    ]
    converting = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(meta.db_table)

    def prepared(row: tuple) -> list:
        values = list(row)
        for index, convert in converting:
            value = values[index]
            if value is not None:
                values[index] = convert(value)
        values.extend(defaults)
        return values

    if connection.vendor == "postgresql":
        count = 0
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(prepared(row))
                count += 1
        return count
    placeholders = ", ".join(["?"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from the model)
    return _sqlite_pipeline(sql, map(prepared, rows))


def _batches(rows: Iterator[list], size: int) -> Iterator[list[list]]:
    batch: list[list] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite_pipeline(sql: str, rows: Iterator[list]) -> int:
    """Insert from a second thread while this one prepares the next batch.

    SQLite does its work (B-tree and index updates) with the GIL released, so preparing rows in
    Python and storing them overlap on two cores. The worker uses the same sqlite3 connection,
    inside the transaction this thread opened; this thread does not touch it meanwhile.
    """
    connection.ensure_connection()
    raw = connection.connection
    pending: queue.Queue = queue.Queue(maxsize=2)
    failures: list[BaseException] = []

    def store() -> None:
        while (batch := pending.get()) is not None:
            if not failures:
                try:
                    raw.executemany(sql, batch)
                except BaseException as error:  # handed to the producing thread
                    failures.append(error)

    worker = threading.Thread(target=store, name="seed-bench-sqlite", daemon=True)
    worker.start()
    count = 0
    try:
        for batch in _batches(rows, SQLITE_BATCH):
            if failures:
                break
            pending.put(batch)
            count += len(batch)
    finally:
        pending.put(None)
        worker.join()
    if failures:
        raise failures[0]
    return count


def reset_sequences(*model_classes: type[models.Model]) -> None:
    """After rows were given explicit integer ids: let PostgreSQL's next id follow them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
