"""ipt.lib.rows reads and writes what the ORM would."""

from datetime import timedelta

import pytest
from django.db.models import Count, Exists, OuterRef
from django.forms.models import model_to_dict
from django.utils import timezone

from ipt.accounts.models import CaseloadVersion
from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus, InventoryPerson, Relation, TreatmentCourse
from ipt.lib.rows import db_datetime, db_key, insert, one_row, values_by_key

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


def _course_facts(course_id):
    here = {"course": OuterRef("pk")}
    return TreatmentCourse.objects.filter(pk=course_id, status=CourseStatus.INITIAL).values(
        "planned_sessions",
        has_inventory=Exists(InventoryPerson.objects.filter(**here, is_removed=False)),
        people=Count("inventory"),
    )


def _not_by_key(course_id):
    return TreatmentCourse.objects.values("planned_sessions")


def _by_key_and_time(course_id):
    return TreatmentCourse.objects.filter(pk=course_id, created_at__lte=timezone.now()).values(
        "planned_sessions"
    )


def test_values_by_key_answers_as_the_query_would_for_each_key(personas):
    first = TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)
    second = TreatmentCourse.objects.create(
        care_team=personas.other_care_team, status=CourseStatus.INITIAL, planned_sessions=12
    )
    InventoryPerson.objects.create(course=second, name="Sam", relation=Relation.FRIEND)
    for course in (first, second, first):  # the compiled query is reused, with each key in its place
        found = values_by_key(_course_facts, TreatmentCourse, course.pk)
        assert found is not None
        expected = _course_facts(course.pk).get()
        assert {k: (bool(v) if k == "has_inventory" else v) for k, v in found.items()} == expected
    TreatmentCourse.objects.filter(pk=second.pk).update(status=CourseStatus.MIDDLE)
    assert values_by_key(_course_facts, TreatmentCourse, second.pk) is None  # the other filters still apply


@pytest.mark.parametrize("build", [_not_by_key, _by_key_and_time])
def test_values_by_key_refuses_a_query_that_depends_on_anything_but_the_key(db, build):
    with pytest.raises(ValueError, match="depends on more than the key"):
        values_by_key(build, TreatmentCourse, "00000000-0000-0000-0000-000000000001")
