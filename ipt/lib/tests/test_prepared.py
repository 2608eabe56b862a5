"""ipt.lib.prepared answers what the ORM would, and refuses what it could get wrong."""

import uuid
from datetime import timedelta

import pytest
from django.db.models import Count, Exists, OuterRef
from django.forms.models import model_to_dict
from django.utils import timezone

from ipt.accounts.models import CareTeam, User
from ipt.care.models import CourseStatus, InventoryPerson, Relation, TreatmentCourse
from ipt.lib.prepared import first_instance, instances, value_rows, values_by_key

pytestmark = pytest.mark.django_db


# values_by_key ----------------------------------------------------------------------------------


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
        found = values_by_key(_course_facts, course.pk)
        assert found is not None
        expected = _course_facts(course.pk).get()
        assert {k: (bool(v) if k == "has_inventory" else v) for k, v in found.items()} == expected
    TreatmentCourse.objects.filter(pk=second.pk).update(status=CourseStatus.MIDDLE)
    assert values_by_key(_course_facts, second.pk) is None  # the other filters still apply


@pytest.mark.parametrize(
    ("build", "refusal"),
    [(_not_by_key, "does not depend on every key"), (_by_key_and_time, "depends on more than the keys")],
)
def test_values_by_key_refuses_a_query_that_depends_on_anything_but_the_key(db, build, refusal):
    with pytest.raises(ValueError, match=refusal):
        values_by_key(build, uuid.uuid4())


# instances --------------------------------------------------------------------------------------


def _teams_of_therapist(therapist_id):
    return (
        CareTeam.objects.filter(therapist=therapist_id)
        .select_related("patient", "therapist", "therapist__supervisor")
        .annotate(courses_count=Count("courses"))
        .order_by("patient__email")
    )


def _courses_created_before(patient_id, moment):
    return TreatmentCourse.objects.filter(care_team__patient=patient_id, created_at__lt=moment).order_by(
        "-created_at"
    )[:1]


def _same(found, expected) -> None:
    assert [model_to_dict(i) for i in found] == [model_to_dict(i) for i in expected]


def test_instances_are_the_orms_with_related_objects_converters_and_annotations(personas):
    personas.care_team.referral_reason = "Low mood since the move (encrypted)"
    personas.care_team.save()
    TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)
    for therapist in (personas.therapist, personas.other_therapist, personas.therapist, personas.patient):
        found = instances(_teams_of_therapist, therapist.pk)
        expected = list(_teams_of_therapist(therapist.pk))
        _same(found, expected)
        for mine, theirs in zip(found, expected, strict=True):
            assert mine.courses_count == theirs.courses_count
            assert mine.referral_reason == theirs.referral_reason  # decrypted by the field's converter
            for related in ("patient", "therapist"):
                assert model_to_dict(getattr(mine, related)) == model_to_dict(getattr(theirs, related))
            supervisor, expected_supervisor = mine.therapist.supervisor, theirs.therapist.supervisor
            assert (supervisor and supervisor.pk) == (expected_supervisor and expected_supervisor.pk)
    # The related objects came with the row: reading them runs no query.
    team = instances(_teams_of_therapist, personas.therapist.pk)[0]
    assert team.referral_reason == "Low mood since the move (encrypted)"
    assert isinstance(team.patient, User) and team.therapist.supervisor == personas.supervisor


def test_a_datetime_key_goes_in_its_place(personas):
    course = TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)
    after, before = course.created_at + timedelta(microseconds=1), course.created_at - timedelta(seconds=1)
    assert first_instance(_courses_created_before, personas.patient.pk, after) == course
    assert first_instance(_courses_created_before, personas.patient.pk, before) is None
    assert first_instance(_courses_created_before, personas.other_patient.pk, after) is None


def _with_prefetch(therapist_id):
    return CareTeam.objects.filter(therapist=therapist_id).prefetch_related("courses")


def _as_values(therapist_id):
    return CareTeam.objects.filter(therapist=therapist_id).values("pk")


def _by_key_and_now(therapist_id):
    return CareTeam.objects.filter(therapist=therapist_id, patient__date_joined__lte=timezone.now())


def _by_date_of_a_time(patient_id, moment):
    return TreatmentCourse.objects.filter(care_team__patient=patient_id, created_at__date=moment)


@pytest.mark.parametrize(
    ("build", "keys", "refusal"),
    [
        (_with_prefetch, 1, "without prefetch_related"),
        (_as_values, 1, "only model instances"),
        (_by_key_and_now, 1, "depends on more than the keys"),
        (_by_date_of_a_time, 2, "does not depend on every key"),  # both placeholders: one date
    ],
)
def test_instances_refuse_what_a_compiled_query_could_answer_wrongly(personas, build, keys, refusal):
    arguments = (personas.therapist.pk, timezone.now())[:keys]
    with pytest.raises(ValueError, match=refusal):
        instances(build, *arguments)


def test_keys_are_uuids_and_aware_datetimes(personas):
    with pytest.raises(TypeError):
        instances(_teams_of_therapist, str(personas.therapist.pk))


# value_rows -------------------------------------------------------------------------------------


def _courses_of_team(care_team_id):
    return (
        TreatmentCourse.objects.filter(care_team=care_team_id)
        .order_by("created_at")
        .values_list("pk", "created_at", "status")
    )


def test_value_rows_are_every_row_with_the_orms_converters(personas):
    courses = [
        TreatmentCourse.objects.create(care_team=personas.care_team, status=status)
        for status in (CourseStatus.COMPLETED, CourseStatus.INITIAL)
    ]
    rows = value_rows(_courses_of_team, personas.care_team.pk)
    assert rows == [{"pk": c.pk, "created_at": c.created_at, "status": c.status} for c in courses]
    assert isinstance(rows[0]["pk"], uuid.UUID) and rows[0]["created_at"].tzinfo is not None
    assert value_rows(_courses_of_team, personas.other_care_team.pk) == []


def _courses_with_count_between_fields(care_team_id):
    return (
        TreatmentCourse.objects.filter(care_team=care_team_id)
        .annotate(people=Count("inventory"))
        .order_by("created_at")
        .values("pk", "people", "created_at", "care_team__patient__email")
    )


def test_value_rows_name_each_column_in_the_order_asked_with_annotations_between_fields(personas):
    course = TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)
    InventoryPerson.objects.create(course=course, name="Sam", relation=Relation.FRIEND)
    expected = list(_courses_with_count_between_fields(personas.care_team.pk))
    assert expected == [
        {
            "pk": course.pk,
            "people": 1,
            "created_at": course.created_at,
            "care_team__patient__email": "patient@example.test",
        }
    ]
    assert value_rows(_courses_with_count_between_fields, personas.care_team.pk) == expected


def test_postgresql_prepares_a_statement_a_connection_runs_often(personas):
    """Parameters bound by the server (settings: server_side_binding), so psycopg prepares a query
    on its fifth run and PostgreSQL no longer parses and plans it on every page."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps its own compiled statements (the sqlite3 module's cache)")
    for _ in range(6):
        assert list(User.objects.filter(email=personas.patient.email).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any('"accounts_user"."email" = $1' in statement for statement in statements), statements
