"""Saving, replacing and deleting diary entries; who may; the summary since the last session."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus, InventoryPerson, Relation
from ipt.practice.diary_access import diary_entries_for, get_my_diary_entry, week_summary
from ipt.practice.diary_actions import InteractionInput, delete_diary_entry, save_diary_entry, today
from ipt.practice.models import DiaryEntry, DiaryInteraction
from ipt.visits.models import Encounter, EncounterStatus
from ipt.visits.tests.conftest import make_course

WORDS = "WORDS-MARKER argued about the dishes"


@pytest.fixture
def course(personas):
    return make_course(personas.care_team)


@pytest.fixture
def other_course(personas):
    return make_course(personas.other_care_team)


def sam(course) -> InventoryPerson:
    return course.inventory.get()  # make_course adds one person, Sam


def save(personas, course, day=None, mood=6, interactions=None, **kwargs):
    if interactions is None:
        interactions = [InteractionInput(feeling="bad", person=sam(course), what_happened=WORDS)]
    return save_diary_entry(
        actor=kwargs.pop("actor", personas.patient),
        course=course,
        day=day or today(),
        mood=mood,
        interactions=interactions,
        **kwargs,
    )


def snapshot(course):
    return [
        (
            entry.day,
            entry.mood,
            entry.note,
            [(i.person_id, i.other_person, i.feeling) for i in entry.interactions.all()],
        )
        for entry in DiaryEntry.objects.filter(course=course).prefetch_related("interactions")
    ]


def test_saving_a_day_stores_the_mood_and_interactions_and_audits_without_the_words(personas, course):
    entry = save(
        personas,
        course,
        note="slept badly",
        interactions=[
            InteractionInput(feeling="bad", person=sam(course), what_happened=WORDS),
            InteractionInput(feeling="good", other_person="  Jo   Smith ", what_happened="coffee"),
        ],
    )
    assert (entry.mood, entry.note) == (6, "slept badly")
    interactions = list(entry.interactions.order_by("feeling"))
    assert [(i.person, i.other_person, i.feeling) for i in interactions] == [
        (sam(course), "", "bad"),
        (None, "Jo Smith", "good"),
    ]
    event = AuditEvent.objects.get(action="diary.create")
    assert event.actor == personas.patient
    assert event.patient == personas.patient
    assert event.detail == {"day": today().isoformat(), "interactions": 2}
    assert "WORDS-MARKER" not in str(event.detail)


def test_saving_the_same_day_again_replaces_the_entry_and_all_its_interactions(personas, course):
    first = save(personas, course, mood=3)
    second = save(
        personas, course, mood=8, interactions=[InteractionInput(feeling="good", other_person="Jo")]
    )
    assert first.pk == second.pk
    assert DiaryEntry.objects.filter(course=course).count() == 1
    assert [(i.other_person, i.feeling) for i in DiaryInteraction.objects.all()] == [("Jo", "good")]
    assert DiaryEntry.objects.get().mood == 8
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="diary.").order_by("id")] == [
        "diary.create",
        "diary.replace",
    ]


def test_a_day_with_no_interactions_is_fine(personas, course):
    entry = save(personas, course, interactions=[])
    assert entry.interactions.count() == 0


@pytest.mark.parametrize("mood", [11, -1, True, "7", None])
def test_a_mood_outside_0_to_10_is_refused_and_nothing_changes(personas, course, mood):
    save(personas, course, mood=5)
    before = snapshot(course)
    with pytest.raises(ValidationError) as refused:
        save(personas, course, mood=mood)
    assert "Mood is a whole number from 0 (worst) to 10 (best)." in refused.value.messages
    assert snapshot(course) == before


def test_a_person_from_another_courses_inventory_is_refused(personas, course, other_course):
    save(personas, course, mood=5)
    before = snapshot(course)
    with pytest.raises(ValidationError) as refused:
        save(personas, course, interactions=[InteractionInput(feeling="good", person=sam(other_course))])
    assert "Interaction 1: Choose someone from your list of people" in refused.value.messages[0]
    assert snapshot(course) == before


def test_a_person_removed_from_the_inventory_is_refused(personas, course):
    person = InventoryPerson.objects.create(
        course=course, name="Ex", relation=Relation.FRIEND, is_removed=True
    )
    with pytest.raises(ValidationError):
        save(personas, course, interactions=[InteractionInput(feeling="good", person=person)])
    assert not DiaryEntry.objects.exists()


@pytest.mark.parametrize(
    ("interaction", "message"),
    [
        (InteractionInput(feeling="good"), "Say who the interaction was with."),
        (InteractionInput(feeling="good", other_person="   "), "Say who the interaction was with."),
        (InteractionInput(feeling="meh", other_person="Jo"), "Choose how it felt: good, mixed or bad."),
        (InteractionInput(feeling="good", other_person="J" * 101), "Keep the name under 100 characters."),
    ],
)
def test_an_incomplete_interaction_is_refused_with_a_clear_message(personas, course, interaction, message):
    with pytest.raises(ValidationError) as refused:
        save(personas, course, interactions=[interaction])
    assert refused.value.messages == [f"Interaction 1: {message}"]
    assert not DiaryEntry.objects.exists()


def test_both_a_listed_person_and_a_name_is_refused(personas, course):
    with pytest.raises(ValidationError) as refused:
        save(
            personas,
            course,
            interactions=[InteractionInput(feeling="good", person=sam(course), other_person="Jo")],
        )
    assert "not both" in refused.value.messages[0]


def test_more_than_three_interactions_is_refused(personas, course):
    with pytest.raises(ValidationError) as refused:
        save(personas, course, interactions=[InteractionInput(feeling="good", other_person="Jo")] * 4)
    assert "Note at most 3 interactions a day." in refused.value.messages


def test_a_future_day_is_refused(personas, course):
    with pytest.raises(ValidationError) as refused:
        save(personas, course, day=today() + timedelta(days=1))
    assert "That day has not come yet" in refused.value.messages[0]
    assert not DiaryEntry.objects.exists()


def test_days_up_to_30_days_back_can_be_written_and_older_ones_cannot(personas, course):
    save(personas, course, day=today() - timedelta(days=30))
    with pytest.raises(ValidationError) as refused:
        save(personas, course, day=today() - timedelta(days=31))
    assert "can be read but no longer changed" in refused.value.messages[0]
    assert list(DiaryEntry.objects.values_list("day", flat=True)) == [today() - timedelta(days=30)]


@pytest.mark.parametrize("persona", ["therapist", "supervisor", "other_patient", "other_therapist", "admin"])
def test_only_the_courses_patient_can_write_the_diary(personas, course, persona):
    with pytest.raises(PermissionDenied):
        save(personas, course, actor=getattr(personas, persona))
    assert not DiaryEntry.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="diary.").exists()


def test_a_course_that_has_ended_is_read_only(personas, course):
    course.status = CourseStatus.COMPLETED
    course.save()
    with pytest.raises(ValidationError) as refused:
        save(personas, course)
    assert "has ended" in refused.value.messages[0]


def test_deleting_a_day_removes_the_entry_and_its_interactions_and_is_audited(personas, course):
    entry = save(personas, course)
    delete_diary_entry(actor=personas.patient, course=course, day=today())
    assert not DiaryEntry.objects.exists()
    assert not DiaryInteraction.objects.exists()
    event = AuditEvent.objects.get(action="diary.delete")
    assert (event.object_id, event.detail) == (str(entry.pk), {"day": today().isoformat()})


def test_deleting_a_day_without_an_entry_or_by_staff_is_refused(personas, course):
    with pytest.raises(ValidationError) as refused:
        delete_diary_entry(actor=personas.patient, course=course, day=today())
    assert refused.value.messages == ["There is no entry for that day."]
    save(personas, course)
    with pytest.raises(PermissionDenied):
        delete_diary_entry(actor=personas.therapist, course=course, day=today())
    assert DiaryEntry.objects.count() == 1


def test_patients_never_see_another_patients_diary(personas, course, other_course):
    save(personas, course)
    assert not diary_entries_for(personas.other_patient, course).exists()
    assert not diary_entries_for(personas.other_therapist, course).exists()
    assert get_my_diary_entry(personas.other_patient, today()) is None
    assert get_my_diary_entry(personas.patient, today()) is not None
    assert diary_entries_for(personas.supervisor, course).count() == 1
    assert diary_entries_for(personas.therapist, course).count() == 1


def _held(course, therapist, days_ago, number=1, status=EncounterStatus.FINISHED):
    starts = timezone.make_aware(datetime.combine(today() - timedelta(days=days_ago), time(10)))
    return Encounter.objects.create(
        course=course, number=number, phase="middle", starts_at=starts, status=status, created_by=therapist
    )


def test_the_summary_runs_from_the_last_held_session(personas, course):
    for days_ago, mood in [(5, 2), (3, 4), (2, 6), (0, 8)]:
        save(personas, course, day=today() - timedelta(days=days_ago), mood=mood)
    _held(course, personas.therapist, days_ago=10, number=1)
    _held(course, personas.therapist, days_ago=3, number=2)
    _held(course, personas.therapist, days_ago=1, number=3, status=EncounterStatus.CANCELLED)
    period = week_summary(personas.therapist, course, today())
    assert period.last_session == today() - timedelta(days=3)
    assert period.start == today() - timedelta(days=3)
    # Days 3, 2 and 0 ago: moods 4, 6, 8 -> mean 6; slope 4 over 3 days... (x = 0, 1, 3; y = 4, 6, 8)
    summary = period.summary
    assert (summary.days_in_period, summary.days_logged) == (4, 3)
    assert (summary.mood_mean, summary.mood_min, summary.mood_max) == (6.0, 4, 8)
    # mean x = 4/3, mean y = 6: cov = (-4/3)(-2) + (-1/3)(0) + (5/3)(2) = 6; var = 16/9 + 1/9 + 25/9 = 14/3
    # slope = 6 / (14/3) = 9/7 a day = 9 a week.
    assert (summary.trend_per_week, summary.trend) == (9.0, "rising")
    (person,) = summary.people
    assert (person.name, person.days_with, person.feelings["bad"]) == ("Sam", 3, 3)


def test_without_a_held_session_the_summary_is_the_last_7_days(personas, course, other_course):
    save(personas, course, day=today() - timedelta(days=7), mood=1)
    save(personas, course, day=today() - timedelta(days=6), mood=5)
    _held(course, personas.therapist, days_ago=2, status=EncounterStatus.PLANNED)
    _held(other_course, personas.other_therapist, days_ago=2)
    period = week_summary(personas.therapist, course, today())
    assert period.last_session is None
    assert period.start == today() - timedelta(days=6)
    assert (period.summary.days_logged, period.summary.mood_mean) == (1, 5.0)


@pytest.mark.parametrize("zone, shift", [("Pacific/Kiritimati", 1), ("Pacific/Pago_Pago", -1)])
def test_today_is_the_patients_own_day_in_their_time_zone(personas, course, zone, shift):
    personas.patient.time_zone = zone
    personas.patient.save(update_fields=["time_zone"])
    course.refresh_from_db()
    theirs = timezone.localdate(timezone=ZoneInfo(zone))
    assert today(course) == theirs
    save(personas, course, day=theirs)  # their today is never refused as "not come yet"
    with pytest.raises(ValidationError):
        save(personas, course, day=theirs + timedelta(days=1))
    assert list(DiaryEntry.objects.values_list("day", flat=True)) == [theirs]
    # On the far side of the date line their today differs from the server's by a day, at most.
    assert abs((theirs - timezone.localdate()).days) <= 1 and (theirs - timezone.localdate()).days in (
        0,
        shift,
    )
