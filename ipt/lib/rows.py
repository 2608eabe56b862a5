"""Rows read (and the audit row written) without the ORM's query building on every request.

Three such reads (the session, the user, the TOTP device) run on every signed-in request. Building
their SQL cost the ORM about twice what the rest of the read did: 0.45 ms a read through
``objects.get`` against 0.19 ms written out, on a slow 2-core machine (issue 7, P3 and P9).
``raw()`` still turns the row into a model instance with the ORM's own converters, so what comes
back is what ``objects.get`` returns.
"""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar, cast
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import QuerySet

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


_compiled: dict[tuple, tuple[str, list, list[int]]] = {}
_PLACEHOLDERS = (uuid.UUID(int=0xC0DE_0001), uuid.UUID(int=0xC0DE_0002))


def values_by_key(build: Callable[[uuid.UUID], QuerySet], model: type[models.Model], key) -> dict | None:
    """``build(key).first()`` of a ``values()`` query that differs from one UUID key to the next
    only by the key, with its SQL built and compiled once per process and database: building a
    query of several subqueries cost the ORM forty times running it (the chart's checklist, issue 7).
    ``build`` must be a module-level function (it is the cache key) and ``model``'s key a UUID."""
    cache_key = (build, connection.alias)
    if cache_key not in _compiled:
        first, second = (build(p).query.sql_with_params() for p in _PLACEHOLDERS)
        keys = tuple(db_key(model, p) for p in _PLACEHOLDERS)
        positions = [i for i, pair in enumerate(zip(first[1], second[1], strict=True)) if pair[0] != pair[1]]
        if (
            first[0] != second[0]
            or not positions
            or any((first[1][i], second[1][i]) != keys for i in positions)
        ):
            raise ValueError(f"{build.__name__}: the SQL depends on more than the key")
        _compiled[cache_key] = (first[0], list(first[1]), positions)
    sql, params, positions = _compiled[cache_key]
    params = list(params)
    for position in positions:
        params[position] = db_key(model, key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    return dict(zip(names, row, strict=True)) if row is not None else None
