"""The audit chain detects any row edited, inserted or deleted by raw SQL."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ipt.audit.actions import record, verify_chain
from ipt.audit.models import AuditEvent


@pytest.fixture
def chain(personas):
    for number in range(5):
        record(
            actor=personas.therapist,
            action="patient.read",
            target=personas.care_team,
            patient=personas.patient,
            ip="127.0.0.1",
            detail={"n": number},
        )
    return list(AuditEvent.objects.order_by("id"))


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def verify_command() -> str:
    try:
        call_command("verify_audit_chain")
    except CommandError as error:
        return str(error)
    return "ok"


def test_an_untouched_chain_verifies(chain, capsys):
    assert verify_chain() is None
    call_command("verify_audit_chain")
    assert "intact" in capsys.readouterr().out


def test_an_edited_row_is_named(chain):
    sql("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["patient.write", chain[2].pk])
    assert f"event {chain[2].pk}" in verify_command()


def test_an_edited_and_rehashed_row_breaks_the_next_link(chain):
    victim = AuditEvent.objects.get(pk=chain[2].pk)
    victim.ip = "10.9.9.9"
    sql(
        "UPDATE audit_auditevent SET ip = %s, hash = %s WHERE id = %s",
        ["10.9.9.9", victim.compute_hash(), victim.pk],
    )
    assert f"event {chain[3].pk}" in verify_command()


def test_a_deleted_row_is_detected(chain):
    sql("DELETE FROM audit_auditevent WHERE id = %s", [chain[1].pk])
    assert f"event {chain[2].pk}" in verify_command()


def test_deleting_the_newest_rows_is_detected(chain):
    sql("DELETE FROM audit_auditevent WHERE id >= %s", [chain[3].pk])
    assert "ends before its recorded head" in verify_command()


def test_an_inserted_row_is_detected(chain):
    forged = chain[-1]
    sql(
        "INSERT INTO audit_auditevent (at, actor_email, actor_role, action, object_type, object_id, detail,"
        " prev_hash, hash) VALUES (%s, '', '', 'forged', '', '', '{}', %s, %s)",
        [forged.at, forged.hash, "f" * 64],
    )
    assert "broken" in verify_command()


def test_the_model_refuses_updates_and_deletes(chain):
    with pytest.raises(RuntimeError):
        chain[0].save()
    with pytest.raises(RuntimeError):
        chain[0].delete()


def test_login_failures_and_successes_are_recorded_with_the_address(personas, client):
    client.post(
        "/login/",
        {"username": "patient@example.test", "password": "wrong-password-xyz"},
        REMOTE_ADDR="203.0.113.9",
    )
    failure = AuditEvent.objects.get(action="login.failure")
    assert failure.ip == "203.0.113.9" and failure.detail == {"email": "patient@example.test"}
    assert "wrong-password" not in str(failure.payload())


def test_an_event_recorded_inside_a_write_shares_its_transaction(personas):
    """No savepoint of its own (two round trips fewer per event); a write that fails after it
    takes its event, and the chain head's move, with it."""
    event = {"actor": personas.therapist, "action": "patient.read", "patient": personas.patient}
    with CaptureQueriesContext(connection) as captured:
        record(**event)  # the test runs in a transaction, as a write would
    assert not [query for query in captured.captured_queries if "SAVEPOINT" in query["sql"].upper()]
    kept = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(**event)
        raise RuntimeError("the write fails after recording")
    assert AuditEvent.objects.count() == kept
    assert verify_chain() is None


def test_on_postgresql_an_event_is_appended_in_one_statement(personas):
    """The head locked, the event hashed onto it and inserted, the head moved: one round trip. The
    hash is the one the model computes, so the chain verifies; the very first event, with no head
    yet, takes the long way and makes the head."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite appends in a write transaction of its own (BEGIN IMMEDIATE)")
    first = record(actor=None, action="chain.start")
    with CaptureQueriesContext(connection) as captured:
        event = record(
            actor=personas.therapist, action="patient.read", patient=personas.patient, detail={"n": 1}
        )
    assert len(captured.captured_queries) == 1
    assert event.prev_hash == first.hash and event.hash == event.compute_hash()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.prev_hash, stored.hash, stored.detail) == (first.hash, event.hash, {"n": 1})
    assert verify_chain() is None
