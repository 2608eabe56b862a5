"""ipt.lib.rows reads and writes what the ORM would."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from ipt.accounts.models import CaseloadVersion
from ipt.audit.models import AuditEvent
from ipt.lib.rows import db_datetime, db_key, insert, one_row

pytestmark = pytest.mark.django_db


def test_an_inserted_row_reads_back_as_it_was_given(personas):
    event = AuditEvent(
        at=timezone.now(),
        actor=personas.therapist,
        actor_email=personas.therapist.email,
        action="test.insert",
        patient=personas.patient,
        ip="2001:db8::1",
        detail={"count": 3, "names": ["a", "é"]},
        prev_hash="0" * 64,
        hash="f" * 64,
    )
    insert(event)
    assert event.pk is not None and not event._state.adding
    stored = AuditEvent.objects.get(pk=event.pk)
    assert model_to_dict(stored) == model_to_dict(event)
    assert stored.at == event.at


def test_one_row_matches_on_keys_and_datetimes_or_gives_none(personas):
    CaseloadVersion.objects.create(therapist=personas.therapist, version=7)
    where = "therapist_id = %s"
    found = one_row(CaseloadVersion, where, [db_key(CaseloadVersion, personas.therapist.pk)])
    assert found is not None and found.version == 7
    assert one_row(CaseloadVersion, where, [db_key(CaseloadVersion, personas.patient.pk)]) is None

    event = AuditEvent.objects.create(at=timezone.now(), action="x", prev_hash="0" * 64, hash="e" * 64)
    later, earlier = (db_datetime(event.at + timedelta(microseconds=d)) for d in (1, -1))
    assert one_row(AuditEvent, "id = %s AND at < %s", [event.pk, later]) == event
    assert one_row(AuditEvent, "id = %s AND at < %s", [event.pk, earlier]) is None
