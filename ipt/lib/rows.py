"""Rows read (and the audit row written) without the ORM's query building on every request.

Three such reads (the session, the user, the TOTP device) run on every signed-in request. Building
their SQL cost the ORM about twice what the rest of the read did: 0.45 ms a read through
``objects.get`` against 0.19 ms written out, on a slow 2-core machine (issue 7, P3 and P9).
``raw()`` still turns the row into a model instance with the ORM's own converters, so what comes
back is what ``objects.get`` returns.
"""

from datetime import datetime
from typing import TypeVar, cast
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)


def one_row(model: type[M], where: str, params: list) -> M | None:
    """The one row of ``model`` matching ``where`` (``%s`` placeholders, values ready for the
    database: see ``db_key`` and ``db_datetime``), or None."""
    table = connection.ops.quote_name(model._meta.db_table)
    rows = list(model._default_manager.raw(f"SELECT * FROM {table} WHERE {where}", params))  # noqa: S608
    return rows[0] if rows else None


def insert(instance: models.Model) -> None:
    """``instance.save()`` of a new row, by one written-out INSERT (no signals: for models that have
    none, such as the audit trail, which every page view appends to)."""
    meta = instance._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(cast(str, field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
            f" RETURNING {quote(cast(str, meta.pk.column))}",
            values,
        )
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias


def db_key(model: type[models.Model], value):
    """A primary key as the database stores it (a UUID is text on SQLite)."""
    return model._meta.pk.get_db_prep_value(value, connection)


def db_datetime(value: datetime):
    """An aware datetime as the database compares it (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


# Per database connection (a connection's converters are its own): for each join's parts, the
# columns to select and each field's converters. Working them out cost 0.12 ms, on every request.
_join_plans: WeakKeyDictionary = WeakKeyDictionary()


def _join_plan(parts: tuple[tuple[type[models.Model], str], ...]):
    wrapper = connections[DEFAULT_DB_ALIAS]
    plans = _join_plans.setdefault(wrapper, {})
    if parts not in plans:
        quote = wrapper.ops.quote_name
        columns = ", ".join(
            f"{alias}.{quote(cast(str, field.column))}"
            for model, alias in parts
            for field in model._meta.concrete_fields
        )
        converters = [
            [
                (index, field.get_col(alias), converters)
                for index, field in enumerate(model._meta.concrete_fields)
                if (
                    converters := wrapper.ops.get_db_converters(field.get_col(alias))
                    + field.get_db_converters(wrapper)
                )
            ]
            for model, alias in parts
        ]
        plans[parts] = (columns, converters)
    return plans[parts]


def joined_row(
    parts: list[tuple[type[models.Model], str]], joins: str, where: str, params: list
) -> list[models.Model | None] | None:
    """The one row of a join, as an instance of each (model, table alias) of ``parts``: None for a
    part whose primary key is NULL (a LEFT JOIN that found nothing), and None instead of the list
    when no row matches. ``joins``: the FROM clause naming those aliases. Each value goes through
    the converters the ORM would apply."""
    columns, converters = _join_plan(tuple(parts))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {joins} WHERE {where}", params)  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    instances: list[models.Model | None] = []
    offset = 0
    for (model, _alias), field_converters in zip(parts, converters, strict=True):
        fields = model._meta.concrete_fields
        values = list(row[offset : offset + len(fields)])
        offset += len(fields)
        if values[fields.index(model._meta.pk)] is None:
            instances.append(None)
            continue
        for index, column, functions in field_converters:
            for converter in functions:
                values[index] = converter(values[index], column, connection)
        instances.append(model.from_db(connection.alias, [field.attname for field in fields], values))
    return instances
