"""The interpersonal timeline: dated life events beside mood, added by the therapist and the
patient, drawn as a chart served as an image with its own CSP, beside a table of the events."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care import timeline_chart
from ipt.care.actions import inventory as actions
from ipt.care.models import CourseStatus, InventoryPerson, TimelineEvent, TreatmentCourse
from ipt.lib.charts import IMAGE_CSP as TIMELINE_CSP

DESCRIPTION = "EVENT-MARKER-3307 Sam proposed moving to another city"


@pytest.fixture
def course(personas):
    return TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)


@pytest.fixture
def other_course(personas):
    return TreatmentCourse.objects.create(care_team=personas.other_care_team, status=CourseStatus.INITIAL)


def person_in(course, actor, name="Sam") -> InventoryPerson:
    return actions.add_person(
        actor=actor, course=course, data={"name": name, "relation": "partner", "closeness_ring": 1}
    )


def event_form(**overrides) -> dict:
    form = {
        "intent": "add",
        "occurred_on": "2024-01-05",
        "event_type": "conflict",
        "person": "",
        "description": DESCRIPTION,
        "mood": "3",
        "symptom_change": "Sleeping badly",
    }
    return {**form, **overrides}


def add_event(personas, course, day: date, mood: int | None, event_type="loss", actor=None) -> TimelineEvent:
    return actions.add_timeline_event(
        actor=actor or personas.therapist, course=course, occurred_on=day, event_type=event_type, mood=mood
    )


def test_the_therapist_and_the_patient_add_events_and_both_see_them(personas, client_for, course):
    sam = person_in(course, personas.therapist)
    therapist, patient = client_for("therapist"), client_for("patient")
    response = therapist.post(reverse("course_timeline", args=[course.pk]), event_form(person=str(sam.pk)))
    assert response.status_code == 302
    response = patient.post(
        reverse("my_timeline"),
        event_form(occurred_on="2023-05-01", event_type="move", mood="6", description="Moved flat"),
    )
    assert response.status_code == 302

    first, second = TimelineEvent.objects.filter(course=course)  # oldest first
    assert (first.occurred_on, first.created_by, first.mood) == (date(2023, 5, 1), personas.patient, 6)
    assert (second.person, second.created_by, second.description) == (sam, personas.therapist, DESCRIPTION)
    added = AuditEvent.objects.filter(action="timeline.add")
    assert {event.actor for event in added} == {personas.therapist, personas.patient}
    assert all(DESCRIPTION not in str(event.detail) for event in added)

    for page in (
        therapist.get(reverse("course_timeline", args=[course.pk])),
        patient.get(reverse("my_timeline")),
    ):
        body = page.content.decode()
        assert page.status_code == 200
        assert DESCRIPTION in body and "Moved flat" in body
        assert "5 Jan 2024" in body and "1 May 2023" in body
        assert f'<img src="{reverse("course_timeline_svg", args=[course.pk])}"' in body
        assert 'alt="' in body
        assert "<style" not in body
        assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert "Your timeline" in patient.get(reverse("my_timeline")).content.decode()


def test_an_event_with_a_person_from_another_course_is_refused(personas, client_for, course, other_course):
    stranger = person_in(other_course, personas.other_therapist, name="Stranger")
    response = client_for("therapist").post(
        reverse("course_timeline", args=[course.pk]), event_form(person=str(stranger.pk))
    )
    assert response.status_code == 400
    assert "Choose someone from this inventory (or nobody)." in response.content.decode()
    assert "Stranger" not in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        actions.add_timeline_event(
            actor=personas.therapist,
            course=course,
            occurred_on=date(2024, 1, 5),
            event_type="loss",
            person=stranger,
        )
    assert "person" in refused.value.message_dict
    assert not TimelineEvent.objects.exists()


def test_an_event_with_a_removed_person_is_refused(personas, client_for, course):
    sam = person_in(course, personas.therapist)
    actions.remove_person(actor=personas.therapist, course=course, person=sam)
    response = client_for("patient").post(reverse("my_timeline"), event_form(person=str(sam.pk)))
    assert response.status_code == 400
    assert not TimelineEvent.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mood": "11"}, "Mood is a whole number from 0 (worst) to 10 (best)."),
        ({"mood": "-1"}, "Mood is a whole number from 0 (worst) to 10 (best)."),
        ({"mood": "sad"}, "Mood is a whole number from 0 (worst) to 10 (best)."),
        ({"occurred_on": "yesterday"}, "Give a date like 2024-03-15 (year-month-day)."),
        ({"occurred_on": ""}, "Give the date it happened."),
        ({"occurred_on": "1850-01-01"}, "Give a date after 1900."),
        ({"occurred_on": (date.today() + timedelta(days=30)).isoformat()}, "the date is in the future"),
        ({"event_type": "party"}, "Choose one of the options in the list."),
        ({"person": "not-a-uuid"}, "Choose someone from this inventory"),
        ({"description": "x" * 4001}, "Keep this under 4,000 characters."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(
    personas, client_for, course, overrides, message
):
    for client, url in (
        (client_for("therapist"), reverse("course_timeline", args=[course.pk])),
        (client_for("patient"), reverse("my_timeline")),
    ):
        response = client.post(url, event_form(**overrides))
        assert response.status_code == 400
        assert message in response.content.decode().replace("&#x27;", "'")
    assert not TimelineEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="timeline.add").exists()


def test_the_chart_is_served_as_svg_with_its_own_csp_and_the_event_dates(personas, client_for, course):
    add_event(personas, course, date(2024, 1, 5), 3)
    add_event(personas, course, date(2023, 9, 12), None, event_type="move")
    add_event(personas, course, date(2024, 6, 20), 7, event_type="new_role")
    response = client_for("therapist").get(reverse("course_timeline_svg", args=[course.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Security-Policy"] == TIMELINE_CSP
    assert "no-store" in response["Cache-Control"]
    svg = response.content.decode()
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for label in ("12 Sep 2023 (#1)", "5 Jan 2024 (#2)", "20 Jun 2024 (#3)"):
        assert label in svg
    assert "<script" not in svg
    assert AuditEvent.objects.filter(action="timeline.read", detail={"format": "svg"}).count() == 1


def test_the_chart_draws_with_no_events_one_event_or_no_mood():
    for events in (
        [],
        [timeline_chart.ChartEvent(1, date(2024, 2, 1), 4)],
        [
            timeline_chart.ChartEvent(1, date(2024, 2, 1), None),
            timeline_chart.ChartEvent(2, date(2024, 3, 1), None),
        ],
    ):
        svg = timeline_chart.render(events).decode()
        ET.fromstring(svg)
        assert "<script" not in svg
        for event in events:
            assert timeline_chart.format_date(event.occurred_on) in svg


def test_many_events_on_few_dates_still_draw():
    # pygal loops forever wrapping an axis title when long date labels leave it no room.
    events = [timeline_chart.ChartEvent(n, date(2020, 1, 1 + n % 28), n % 11) for n in range(1, 301)]
    svg = timeline_chart.render(events).decode()
    ET.fromstring(svg)
    assert "1 Jan 2020 (#28, 56 +8)" in svg


def test_the_patient_fetches_their_own_chart_and_no_one_elses(personas, client_for, course, other_course):
    add_event(personas, course, date(2024, 1, 5), 3)
    url = reverse("course_timeline_svg", args=[course.pk])
    assert client_for("patient").get(url).status_code == 200
    assert client_for("supervisor").get(url).status_code == 200
    assert client_for("other_patient").get(url).status_code == 404
    assert client_for("other_therapist").get(url).status_code == 404
    assert client_for("admin").get(url).status_code == 403


def test_only_the_therapist_deletes_an_event(personas, client_for, course):
    event = add_event(personas, course, date(2024, 1, 5), 3, actor=personas.patient)
    form = {"intent": "delete", "event": str(event.pk)}
    patient_response = client_for("patient").post(reverse("my_timeline"), form)
    assert patient_response.status_code == 400
    url = reverse("course_timeline", args=[course.pk])
    assert client_for("supervisor").post(url, form).status_code == 403
    assert client_for("other_therapist").post(url, form).status_code == 404
    assert TimelineEvent.objects.filter(pk=event.pk).exists()
    with pytest.raises(PermissionDenied):
        actions.delete_timeline_event(actor=personas.patient, course=course, event=event)

    assert client_for("therapist").post(url, form).status_code == 302
    assert not TimelineEvent.objects.filter(pk=event.pk).exists()
    assert AuditEvent.objects.filter(action="timeline.delete", object_id=str(event.pk)).exists()


def test_deleting_an_event_of_another_course_is_not_found(personas, client_for, course, other_course):
    theirs = add_event(personas, other_course, date(2024, 1, 5), 3, actor=personas.other_therapist)
    url = reverse("course_timeline", args=[course.pk])
    response = client_for("therapist").post(url, {"intent": "delete", "event": str(theirs.pk)})
    assert response.status_code == 404
    assert TimelineEvent.objects.filter(pk=theirs.pk).exists()
    response = client_for("therapist").post(url, {"intent": "delete", "event": "junk"})
    assert response.status_code == 400


def test_the_supervisor_reads_the_timeline_but_cannot_add(personas, client_for, course):
    url = reverse("course_timeline", args=[course.pk])
    supervisor = client_for("supervisor")
    assert supervisor.get(url).status_code == 200
    assert supervisor.post(url, event_form()).status_code == 403
    assert client_for("patient").post(url, event_form()).status_code == 403  # patients use my/timeline
    assert client_for("other_patient").post(reverse("my_timeline"), event_form()).status_code == 404
    assert not TimelineEvent.objects.exists()
    assert AuditEvent.objects.filter(action="timeline.read", actor=personas.supervisor).exists()


def test_a_post_without_a_known_intent_changes_nothing(personas, client_for, course):
    response = client_for("therapist").post(reverse("course_timeline", args=[course.pk]), {"probe": "x"})
    assert response.status_code == 400
    assert "Choose one of the buttons" in response.content.decode()
    assert not TimelineEvent.objects.exists()
