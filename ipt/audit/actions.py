"""Recording and verifying the audit trail."""

import functools
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, transaction
from django.utils import timezone

from ipt.audit.models import AuditEvent, AuditHead
from ipt.lib.rows import insert

GENESIS = "0" * 64
_POSTGRES_LOCK_KEY = 0x1A0D17  # any constant; serialises appends to the chain
HEAD_TABLE = AuditHead._meta.db_table


def client_ip(request) -> str | None:
    """The peer address; behind a proxy set the proxy to overwrite REMOTE_ADDR."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _lock_chain() -> None:
    # SQLite serialises write transactions already (transaction_mode IMMEDIATE).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_LOCK_KEY])


def record(
    *,
    actor,
    action: str,
    target: Any = None,
    patient=None,
    request=None,
    ip: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain. Never put clinical free text in ``detail``."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        at=timezone.now(),
        actor=actor if authenticated else None,
        actor_email=actor.email if authenticated else "",
        actor_role=getattr(actor, "role", "") if authenticated else "",
        action=action,
        object_type=type(target).__name__.lower() if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        patient=patient,
        ip=ip or client_ip(request),
        detail=detail or {},
    )
    # Every page view appends here (S2), so the head is read and moved, and the event inserted, by
    # plain SQL: the ORM's query building was a fifth of a page's CPU on the fast pages (issue 7,
    # P3). Inside a write's transaction no savepoint: if the append fails, the write it records must
    # fail with it (and two round trips fewer per event).
    if connection.vendor == "postgresql" and _append_in_one_statement(event):
        return event
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Locking the head row serialises appends; before the first event there is no row to lock,
        # so the advisory lock does it.
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        cursor.execute(f"SELECT last_hash FROM {HEAD_TABLE} WHERE singleton = 1{lock}")  # noqa: S608
        head = cursor.fetchone()
        if head is None:
            _lock_chain()
            cursor.execute(f"SELECT last_hash FROM {HEAD_TABLE} WHERE singleton = 1")  # noqa: S608
            head = cursor.fetchone()
        event.prev_hash = head[0] if head else GENESIS
        event.hash = event.compute_hash()
        insert(event)
        if head is None:
            AuditHead.objects.create(singleton=1, last_event_id=event.pk, last_hash=event.hash)
        else:
            cursor.execute(
                f"UPDATE {HEAD_TABLE} SET last_event_id = %s, last_hash = %s WHERE singleton = 1",  # noqa: S608
                [event.pk, event.hash],
            )
    return event


def _append_in_one_statement(event: AuditEvent) -> bool:
    """PostgreSQL: lock the head, insert the event hashed onto it and move the head, in one
    statement, atomic by itself: one round trip where there were five (BEGIN, the head, the
    insert, the move, COMMIT), and the head is held that much less (P4). The hash is the same
    SHA-256 of the previous hash and the canonical payload that ``compute_hash`` makes, here of the
    head as the statement locked it. False, and nothing written, before the first event (no head)."""
    fields, sql = _one_statement()
    params = [field.get_db_prep_save(field.pre_save(event, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, event.canonical_payload()])
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk, event.prev_hash, event.hash = row
    event._state.adding = False
    event._state.db = connection.alias
    return True


@functools.cache
def _one_statement() -> tuple[list, str]:
    """The fields the statement takes as parameters, and its SQL: worked out once (PostgreSQL)."""
    quote = connection.ops.quote_name
    fields = [
        field for field in AuditEvent._meta.concrete_fields if field.name not in ("id", "prev_hash", "hash")
    ]
    columns = ", ".join(quote(cast(str, field.column)) for field in fields)
    # INSERT ... SELECT types its values from the SELECT, not from the columns: cast each.
    values = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
    table = quote(AuditEvent._meta.db_table)
    sql = f"""
        WITH head AS (SELECT last_hash FROM {HEAD_TABLE} WHERE singleton = 1 FOR UPDATE),
        added AS (
            INSERT INTO {table} ({columns}, prev_hash, hash)
            SELECT {values}, head.last_hash,
                   encode(sha256(convert_to(head.last_hash || %s::text, 'UTF8')), 'hex')
            FROM head
            RETURNING id, prev_hash, hash
        )
        UPDATE {HEAD_TABLE} SET last_event_id = added.id, last_hash = added.hash FROM added
        WHERE singleton = 1
        RETURNING added.id, added.prev_hash, added.hash"""  # noqa: S608 - names from the models
    return fields, sql


@dataclass
class ChainProblem:
    event_id: int | None
    reason: str


def verify_chain(batch_size: int = 5000) -> ChainProblem | None:
    """The first break in the chain, or None when every row verifies."""
    previous_hash = GENESIS
    last_id = None
    rows = AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size)
    for event in rows:
        if event.prev_hash != previous_hash:
            return ChainProblem(event.pk, "its link to the previous row is broken")
        if event.compute_hash() != event.hash:
            return ChainProblem(event.pk, "its contents do not match its hash")
        previous_hash = event.hash
        last_id = event.pk
    head = AuditHead.objects.filter(singleton=1).first()
    if head is None:
        if last_id is not None:
            return ChainProblem(last_id, "the chain head is missing")
        return None
    if head.last_event_id != last_id or head.last_hash != previous_hash:
        return ChainProblem(last_id, f"the chain ends before its recorded head (event {head.last_event_id})")
    return None
