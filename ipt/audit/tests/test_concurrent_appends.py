"""Events appended at the same moment from many threads form one unbroken chain (the head row is
locked on PostgreSQL; on SQLite writers queue on the write lock)."""

import threading

import pytest
from django.db import connection, connections

from ipt.audit.actions import record, verify_chain
from ipt.audit.models import AuditEvent, AuditHead

WRITERS = 8
EACH = 5


@pytest.mark.django_db(transaction=True)
def test_events_appended_at_once_form_one_unbroken_chain(personas):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads cannot share an in-memory SQLite database; run on PostgreSQL or a file")
    record(actor=None, action="chain.start")
    barrier = threading.Barrier(WRITERS)
    failures: list[Exception] = []

    def append(writer: int) -> None:
        try:
            barrier.wait()
            for number in range(EACH):
                record(actor=personas.therapist, action="test.append", detail={"writer": writer, "n": number})
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert AuditEvent.objects.filter(action="test.append").count() == WRITERS * EACH
    assert verify_chain() is None
    newest = AuditEvent.objects.order_by("-id").first()
    assert AuditHead.objects.get(singleton=1).last_event_id == newest.pk
