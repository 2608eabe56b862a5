"""The closeness circle: an accessible SVG drawn by hand (valid XML, escaped names, no label
overlapping another, every badge in its ring) and the start and end snapshots side by side."""

import itertools
import json
import random
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care import circle
from ipt.care.actions import inventory as actions
from ipt.care.models import ClosenessSnapshot, CourseStatus, InventoryPerson, TreatmentCourse

SVG = "{http://www.w3.org/2000/svg}"
NAMES = [
    "Sam",
    "Mum",
    "Grandma Rose",
    "Alexandra Konstantinopoulou",
    "Mr Peterson (boss)",
    "Li",
    "Anna-Lena",
    "WWWWWWWWWWWW",
    "Ülkü",
    "王小明",
    "Jo",
    "Christopher",
]


@pytest.fixture
def course(personas):
    return TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)


def add(personas, course, name, ring, relation="friend", actor=None) -> InventoryPerson:
    return actions.add_person(
        actor=actor or personas.therapist,
        course=course,
        data={"name": name, "relation": relation, "closeness_ring": ring},
    )


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def assert_no_overlaps(plan: circle.Layout) -> None:
    boxes = [placement.box for placement in plan.placements]
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not a.overlaps(b), (
            f"labels {plan.placements[i].label!r} and {plan.placements[j].label!r} overlap"
        )
    you_radius = plan.centre_box.width / 2  # "You" is a disc
    for box in boxes:
        nearest_x = max(box.x, 0.0, -(box.x + box.width))
        nearest_y = max(box.y, 0.0, -(box.y + box.height))
        assert (nearest_x**2 + nearest_y**2) ** 0.5 > you_radius, "a label covers 'You'"
        for caption in plan.caption_boxes.values():
            assert not box.overlaps(caption), "a label covers a ring number"


def assert_every_badge_in_its_ring(plan: circle.Layout) -> None:
    for placement in plan.placements:
        ring = placement.person.ring
        inner = plan.bounds.get(ring - 1, 0.0)
        distance = (placement.box.centre[0] ** 2 + placement.box.centre[1] ** 2) ** 0.5
        assert inner < distance < plan.bounds[ring], f"{placement.label} is outside ring {ring}"


def test_the_svg_names_every_person_and_is_valid_xml(personas, client_for, course):
    for index, name in enumerate(NAMES[:6]):
        add(personas, course, name, index % 3 + 1)
    removed = add(personas, course, "Removed Person", 1)
    actions.remove_person(actor=personas.therapist, course=course, person=removed)

    response = client_for("therapist").get(reverse("course_circle_svg", args=[course.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    svg = response.content.decode()
    drawn = texts(svg)
    for name in NAMES[:6]:
        assert circle.short_label(name) in drawn
    assert "Removed Person" not in svg
    assert "You" in drawn
    assert AuditEvent.objects.filter(action="circle.read", actor=personas.therapist).exists()


def test_names_that_look_like_markup_are_escaped():
    people = [
        circle.CirclePerson('<Bob & "Al">', 1, relation="Friend & <co>"),
        circle.CirclePerson("O'Hara", 2),
    ]
    svg = circle.render_svg(people, title="Circle <of> & 'friends'")
    root = ET.fromstring(svg)  # would raise on broken XML
    assert '<Bob & "Al">' in texts(svg)
    assert "O'Hara" in texts(svg)
    assert root.find(f"{SVG}title").text == "Circle <of> & 'friends'"
    assert '<Bob & "Al"> (Friend & <co>)' in root.find(f"{SVG}desc").text
    assert "<Bob" not in svg


def test_characters_xml_cannot_carry_are_dropped_and_the_svg_stays_valid():
    people = [circle.CirclePerson("Bad\x01\x0bname\ufffe", 1), circle.CirclePerson("\x00", 2)]
    svg = circle.render_svg(people, title="Title\x02")
    ET.fromstring(svg)
    assert "Badname" in texts(svg)


def test_the_svg_is_accessible_and_carries_no_inline_style():
    people = [circle.CirclePerson(name, index % 3 + 1) for index, name in enumerate(NAMES)]
    svg = circle.render_svg(people, title="Closeness circle", svg_id="circle-now")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "circle-now-title circle-now-desc"
    assert root.find(f"{SVG}title").get("id") == "circle-now-title"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == "circle-now-desc"
    assert desc.text.startswith("You are in the centre. Ring 1, closest: Sam")
    assert all(element.get("style") is None for element in root.iter())
    assert root.find(f".//{SVG}style") is None
    assert "<script" not in svg


def test_twelve_people_in_one_ring_get_labels_that_do_not_overlap():
    people = [circle.CirclePerson(name, 1) for name in NAMES]
    plan = circle.layout(people)
    assert len(plan.placements) == 12
    assert_no_overlaps(plan)
    assert_every_badge_in_its_ring(plan)
    for placement in plan.placements:  # each badge is as wide as its text is estimated to be
        assert placement.box.width >= circle.estimate_text_width(placement.label)
    ET.fromstring(circle.render_svg(people, title="Crowded"))


@pytest.mark.parametrize("seed", range(8))
def test_any_mix_of_people_and_rings_gets_labels_that_do_not_overlap(seed):
    rng = random.Random(seed)
    people = [
        circle.CirclePerson(rng.choice(NAMES) + " " * rng.randint(0, 1) + str(index), rng.choice([1, 2, 3]))
        for index in range(rng.randint(1, 40))
    ]
    plan = circle.layout(people)
    assert_no_overlaps(plan)
    assert_every_badge_in_its_ring(plan)
    view = plan.view_box
    for placement in plan.placements:  # and nothing is cut off
        box = placement.box
        assert view.x <= box.x and box.x + box.width <= view.x + view.width
        assert view.y <= box.y and box.y + box.height <= view.y + view.height


def test_long_names_are_shortened_on_the_drawing_but_whole_in_its_description():
    name = "Alexandra Konstantinopoulou-Papadopoulou"
    svg = circle.render_svg([circle.CirclePerson(name, 1)], title="t")
    assert "Alexandra Konstanti…" in texts(svg)
    assert name in ET.fromstring(svg).find(f"{SVG}desc").text


def test_the_circle_page_inlines_the_svg_beside_a_list_by_ring(personas, client_for, course):
    add(personas, course, "Sam", 1, relation="partner")
    add(personas, course, "Lee", 3, relation="work")
    response = client_for("therapist").get(reverse("course_circle", args=[course.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body
    assert 'aria-labelledby="circle-now-title circle-now-desc"' in body
    assert "<style" not in body and "style=" not in body
    assert "Ring 1, closest" in body and "Sam (Partner or spouse)" in body
    assert "Lee (Colleague or boss)" in body
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def save_snapshot(client, course, moment):
    return client.post(reverse("course_circle", args=[course.pk]), {"moment": moment})


def test_start_and_end_snapshots_are_shown_side_by_side(personas, client_for, course):
    sam = add(personas, course, "Sam", 3, relation="partner")
    therapist = client_for("therapist")
    assert save_snapshot(therapist, course, "start").status_code == 302
    actions.update_person(
        actor=personas.patient,
        course=course,
        person=sam,
        data={"name": "Sam", "relation": "partner", "closeness_ring": 1},
    )
    assert save_snapshot(therapist, course, "end").status_code == 302

    start = ClosenessSnapshot.objects.get(course=course, moment="start")
    end = ClosenessSnapshot.objects.get(course=course, moment="end")
    assert json.loads(start.people)[0]["ring"] == 3
    assert json.loads(end.people)[0]["ring"] == 1
    page = therapist.get(reverse("course_circle", args=[course.pk])).content.decode()
    assert "Start and end, side by side" in page
    assert page.count('class="circle-pair-item"') == 2
    for svg_id in ("circle-now", "circle-start", "circle-end"):
        assert f'aria-labelledby="{svg_id}-title {svg_id}-desc"' in page
    assert page.index("circle-start-title") < page.index("circle-end-title")

    patient_page = client_for("patient").get(reverse("my_circle"))
    assert patient_page.status_code == 200
    text = patient_page.content.decode()
    assert "How your circle changed" in text
    assert "At the start of your therapy" in text and "Near the end of your therapy" in text


def test_saving_a_snapshot_again_replaces_it_and_is_audited(personas, client_for, course):
    add(personas, course, "Sam", 2)
    therapist = client_for("therapist")
    save_snapshot(therapist, course, "start")
    add(personas, course, "Jo", 1)
    save_snapshot(therapist, course, "start")
    (snapshot,) = ClosenessSnapshot.objects.filter(course=course)
    assert {person["name"] for person in json.loads(snapshot.people)} == {"Sam", "Jo"}
    events = AuditEvent.objects.filter(action="circle.snapshot").order_by("id")
    assert [event.detail for event in events] == [
        {"moment": "start", "replaced": False, "people": 1},
        {"moment": "start", "replaced": True, "people": 2},
    ]


def test_only_the_courses_therapist_saves_snapshots(personas, client_for, course):
    add(personas, course, "Sam", 2)
    assert save_snapshot(client_for("supervisor"), course, "start").status_code == 403
    assert save_snapshot(client_for("other_therapist"), course, "start").status_code == 404
    assert save_snapshot(client_for("patient"), course, "start").status_code == 403
    assert save_snapshot(client_for("admin"), course, "start").status_code == 403
    assert not ClosenessSnapshot.objects.exists()
    assert client_for("supervisor").get(reverse("course_circle", args=[course.pk])).status_code == 200


@pytest.mark.parametrize("moment", ["middle", ""])
def test_a_snapshot_at_an_unknown_moment_is_refused_with_a_message(personas, client_for, course, moment):
    add(personas, course, "Sam", 2)
    response = save_snapshot(client_for("therapist"), course, moment)
    assert response.status_code == 400
    assert "A snapshot is taken at the start or at the end." in response.content.decode()
    assert not ClosenessSnapshot.objects.exists()


def test_a_snapshot_of_an_empty_circle_is_refused(personas, client_for, course):
    response = save_snapshot(client_for("therapist"), course, "start")
    assert response.status_code == 400
    assert "Add people to the inventory before keeping a snapshot" in response.content.decode()
    assert not ClosenessSnapshot.objects.exists()


def test_snapshots_are_served_as_svg_too(personas, client_for, course):
    add(personas, course, "Sam", 2)
    therapist = client_for("therapist")
    url = reverse("course_circle_svg", args=[course.pk])
    assert therapist.get(url, {"moment": "end"}).status_code == 404
    save_snapshot(therapist, course, "end")
    response = therapist.get(url, {"moment": "end"})
    assert response.status_code == 200 and "Sam" in texts(response.content.decode())
    assert therapist.get(url, {"moment": "bogus"}).status_code == 400


def test_the_patient_sees_their_circle_but_no_one_elses(personas, client_for, course):
    add(personas, course, "Sam", 1)
    patient = client_for("patient")
    page = patient.get(reverse("my_circle"))
    assert page.status_code == 200
    assert "Your closeness circle" in page.content.decode() and "Sam" in page.content.decode()
    assert patient.get(reverse("course_circle_svg", args=[course.pk])).status_code == 200
    other = client_for("other_patient")
    assert other.get(reverse("course_circle_svg", args=[course.pk])).status_code == 404
    assert other.get(reverse("my_circle")).status_code == 404
    assert client_for("admin").get(reverse("course_circle_svg", args=[course.pk])).status_code == 403


def test_a_snapshot_with_unexpected_content_is_drawn_without_failing(personas, client_for, course):
    ClosenessSnapshot.objects.create(
        course=course,
        moment="start",
        taken_by=personas.therapist,
        people=json.dumps([{"name": "Old", "ring": "x"}, "junk", {"relation": "parent", "ring": 7}]),
    )
    response = client_for("therapist").get(reverse("course_circle", args=[course.pk]))
    assert response.status_code == 200
    assert "Old" in response.content.decode()
