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

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

_UUID_FIELD = models.UUIDField()
_FIRST_PLACEHOLDER_TIME = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


def uuid_key(value) -> uuid.UUID | None:
    """An id from a URL or a form as a key (None when it is no UUID: "missing" to the caller)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


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


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: list
    slots: list[tuple[int, int]]
    compiler: SQLCompiler  # after as_sql(): its select, klass_info and annotation_col_map
    converters: dict


def _compile(build, keys: tuple, check) -> _Compiled:
    first, second = _placeholders(keys)
    queryset = build(*first)
    check(build, queryset)
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    other = build(*second).query.sql_with_params()
    return _Compiled(
        sql=sql,
        params=list(params),
        slots=_slots(build, first, second, (sql, tuple(params)), other),
        compiler=compiler,
        converters=compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]]),
    )


def _cached(store: WeakKeyDictionary, make, build, keys: tuple):
    """A plan per database connection (a compiler and its converters belong to one), build and
    number of keys."""
    plans = store.setdefault(connections[DEFAULT_DB_ALIAS], {})
    plan = plans.get((build, len(keys)))
    if plan is None:
        plan = plans[build, len(keys)] = make(build, keys)
    return plan


def _rows(compiled: _Compiled, keys: tuple) -> list:
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, _params(compiled.params, compiled.slots, keys))
        rows = cursor.fetchall()
    if compiled.converters:
        rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
    return rows


# values(): rows as dicts ------------------------------------------------------------------------


def _values_only(build, queryset) -> None:
    if queryset._fields is None or queryset._prefetch_related_lookups:
        raise ValueError(f"{build.__name__}: only values() or values_list() queries")


def _values_plan(build, keys: tuple) -> tuple[_Compiled, list[str]]:
    compiled = _compile(build, keys, _values_only)
    query = compiled.compiler.query
    # The names in the order of the columns, as Django's ValuesIterable works them out.
    if query.selected:
        return compiled, list(query.selected)
    return compiled, [*query.extra_select, *query.values_select, *query.annotation_select]


_values: WeakKeyDictionary = WeakKeyDictionary()


def value_rows(build, *keys) -> list[dict]:
    """``list(build(*keys))`` of a ``values()`` (or ``values_list()``) query, each row a dict of
    every selected name, with the ORM's converters applied."""
    compiled, names = _cached(_values, _values_plan, build, keys)
    return [dict(zip(names, row, strict=True)) for row in _rows(compiled, keys)]


def values_by_key(build, *keys) -> dict | None:
    """The first of ``value_rows`` or None (``build`` orders and slices its own query)."""
    rows = value_rows(build, *keys)
    return rows[0] if rows else None


# Model instances, with select_related and annotations -------------------------------------------


@dataclass(frozen=True)
class _Plan:
    compiled: _Compiled
    model: type[models.Model]
    fields: slice
    init_list: list[str]
    related: list[Any]
    annotations: dict[str, int]


def _instances_only(build, queryset) -> None:
    if (
        queryset._iterable_class is not ModelIterable
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
    ):
        raise ValueError(f"{build.__name__}: only model instances, without prefetch_related")


def _plan(build, keys: tuple) -> _Plan:
    """What Django's ModelIterable works out from the compiler before its first row."""
    compiled = _compile(build, keys, _instances_only)
    compiler = compiled.compiler
    klass_info = compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    return _Plan(
        compiled=compiled,
        model=klass_info["model"],
        fields=slice(start, end),
        init_list=[column[0].target.attname for column in compiler.select[start:end]],
        # Django 5.2's signature; the stubs follow a later Django's (with fetch_mode).
        related=get_related_populators(klass_info, compiler.select, compiler.using),  # type: ignore[call-arg, arg-type]
        annotations=dict(compiler.annotation_col_map or {}),
    )


_plans: WeakKeyDictionary = WeakKeyDictionary()


def instances(build, *keys) -> list:
    """``list(build(*keys))``: model instances as the ORM makes them (its converters, related
    objects from select_related, annotations), from SQL compiled once."""
    plan = _cached(_plans, _plan, build, keys)
    alias = connection.alias
    found = []
    for row in _rows(plan.compiled, keys):
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
