"""Queries built and compiled by the ORM once per process and database connection, then run with
new keys: for the hot reads of every page, where building the SQL cost the ORM far more than the
database spent running it (issue 7: the chart's checklist 40 times; a patient's own care team, with
its three people, 25 times).

``build`` is a module-level function (it is part of the cache key) taking the keys and returning a
QuerySet. It is compiled twice, with two different placeholder values for each key; the two SQL
texts must be the same and their parameters must differ exactly where the placeholders went.
Anything else (a ``timezone.now()`` in a filter that is not a key, a key compared in a way that
converts it) is refused with ValueError, so a compiled query can never answer for other values than
those it was given. Keys are UUIDs and aware datetimes.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from django.db import connection, models
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

_UUID_FIELD = models.UUIDField()
_FIRST_PLACEHOLDER_TIME = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


def _placeholders(keys: tuple) -> tuple[tuple, tuple]:
    first: list[uuid.UUID | datetime] = []
    second: list[uuid.UUID | datetime] = []
    for index, key in enumerate(keys):
        if isinstance(key, uuid.UUID):
            first.append(uuid.UUID(int=0xC0DE_0000_0000 + 2 * index + 1))
            second.append(uuid.UUID(int=0xC0DE_0000_0000 + 2 * index + 2))
        elif isinstance(key, datetime) and key.tzinfo is not None:
            first.append(_FIRST_PLACEHOLDER_TIME + timedelta(microseconds=2 * index + 1))
            second.append(_FIRST_PLACEHOLDER_TIME + timedelta(microseconds=2 * index + 2))
        else:
            _db_value(key)  # raises TypeError
    return tuple(first), tuple(second)


def _db_value(key):
    """A key as the ORM hands it to the database in a comparison with a column of its kind."""
    if isinstance(key, uuid.UUID):
        return _UUID_FIELD.get_db_prep_value(key, connection)
    if isinstance(key, datetime) and key.tzinfo is not None:
        return connection.ops.adapt_datetimefield_value(key)
    raise TypeError(f"a prepared query's keys are UUIDs and aware datetimes, not {key!r}")


def _slots(build, first: tuple, second: tuple, compiled: tuple, other: tuple) -> list[tuple[int, int]]:
    """Where each key goes in the parameters: [(position, key index)]."""
    (sql, params), (other_sql, other_params) = compiled, other
    if sql != other_sql or len(params) != len(other_params):
        raise ValueError(f"{build.__name__}: the SQL depends on more than the keys")
    expected = {
        (_db_value(a), _db_value(b)): index for index, (a, b) in enumerate(zip(first, second, strict=True))
    }
    slots = []
    for position, pair in enumerate(zip(params, other_params, strict=True)):
        if pair[0] == pair[1]:
            continue
        if pair not in expected:
            raise ValueError(f"{build.__name__}: the SQL depends on more than the keys")
        slots.append((position, expected[pair]))
    if {index for _, index in slots} != set(range(len(first))):
        raise ValueError(f"{build.__name__}: the SQL does not depend on every key")
    return slots


def _params(compiled_params: list, slots: list[tuple[int, int]], keys: tuple) -> list:
    params = list(compiled_params)
    for position, index in slots:
        params[position] = _db_value(keys[index])
    return params


# values(): rows as dicts ------------------------------------------------------------------------


@dataclass(frozen=True)
class _ValuesPlan:
    sql: str
    params: list
    slots: list[tuple[int, int]]
    compiler: SQLCompiler
    converters: dict
    names: list[str]


_values: WeakKeyDictionary = WeakKeyDictionary()


def _values_plan(build, keys: tuple) -> _ValuesPlan:
    first, second = _placeholders(keys)
    queryset = build(*first)
    if queryset._fields is None or queryset._prefetch_related_lookups:
        raise ValueError(f"{build.__name__}: only values() or values_list() queries")
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    other = build(*second).query.sql_with_params()
    return _ValuesPlan(
        sql=sql,
        params=list(params),
        slots=_slots(build, first, second, (sql, tuple(params)), other),
        compiler=compiler,
        converters=compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]]),
        names=[*query.extra_select, *query.values_select, *query.annotation_select],
    )


def value_rows(build, *keys) -> list[dict]:
    """``list(build(*keys))`` of a ``values()`` (or ``values_list()``) query, each row a dict of
    every selected name, with the ORM's converters applied."""
    plans = _values.setdefault(_wrapper(), {})
    plan = plans.get((build, len(keys)))
    if plan is None:
        plan = plans[build, len(keys)] = _values_plan(build, keys)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, _params(plan.params, plan.slots, keys))
        rows = cursor.fetchall()
    if plan.converters:
        rows = list(plan.compiler.apply_converters(rows, plan.converters))
    return [dict(zip(plan.names, row, strict=True)) for row in rows]


def values_by_key(build, *keys) -> dict | None:
    """The first of ``value_rows`` or None (``build`` orders and slices its own query)."""
    rows = value_rows(build, *keys)
    return rows[0] if rows else None


# Model instances, with select_related and annotations -------------------------------------------


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: list
    slots: list[tuple[int, int]]
    compiler: SQLCompiler
    converters: dict
    model: type[models.Model]
    fields: slice
    init_list: list[str]
    related: list[Any]
    annotations: dict[str, int]


_plans: WeakKeyDictionary = WeakKeyDictionary()


def _wrapper():
    from django.db import DEFAULT_DB_ALIAS, connections

    return connections[DEFAULT_DB_ALIAS]


def _plan(build, keys: tuple) -> _Plan:
    first, second = _placeholders(keys)
    queryset = build(*first)
    if (
        queryset._iterable_class is not ModelIterable
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
    ):
        raise ValueError(f"{build.__name__}: only model instances, without prefetch_related")
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()  # also fills compiler.select, klass_info and annotation_col_map
    other = build(*second).query.sql_with_params()
    slots = _slots(build, first, second, (sql, tuple(params)), other)
    klass_info = compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    return _Plan(
        sql=sql,
        params=list(params),
        slots=slots,
        compiler=compiler,
        converters=compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]]),
        model=klass_info["model"],
        fields=slice(start, end),
        init_list=[column[0].target.attname for column in compiler.select[start:end]],
        # Django 5.2's signature; the stubs follow a later Django's (with fetch_mode).
        related=get_related_populators(klass_info, compiler.select, queryset.db),  # type: ignore[call-arg]
        annotations=dict(compiler.annotation_col_map or {}),
    )


def instances(build, *keys) -> list:
    """``list(build(*keys))``: model instances as the ORM makes them (its converters, related
    objects from select_related, annotations), from SQL compiled once."""
    plans = _plans.setdefault(_wrapper(), {})
    plan = plans.get((build, len(keys)))
    if plan is None:
        plan = plans[build, len(keys)] = _plan(build, keys)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, _params(plan.params, plan.slots, keys))
        rows = cursor.fetchall()
    if plan.converters:
        rows = list(plan.compiler.apply_converters(rows, plan.converters))
    alias = connection.alias
    found = []
    for row in rows:
        instance = plan.model.from_db(alias, plan.init_list, row[plan.fields])
        for populator in plan.related:
            populator.populate(row, instance)
        for name, position in plan.annotations.items():
            setattr(instance, name, row[position])
        found.append(instance)
    return found


def first_instance(build, *keys):
    """The first of ``instances`` or None (``build`` slices and orders its own query)."""
    found = instances(build, *keys)
    return found[0] if found else None
