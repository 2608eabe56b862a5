"""The interpersonal inventory: the patient and the therapist both add, edit and remove people,
every change keeps who made it with the values before and after, and each sees the history."""

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.actions import inventory as actions
from ipt.care.models import CourseStatus, InventoryChange, InventoryPerson, TreatmentCourse

SECRET_TEXT = "SATISFYING-MARKER-5521 walks on Sunday"


@pytest.fixture
def course(personas):
    return TreatmentCourse.objects.create(care_team=personas.care_team, status=CourseStatus.INITIAL)


@pytest.fixture
def other_course(personas):
    return TreatmentCourse.objects.create(care_team=personas.other_care_team, status=CourseStatus.INITIAL)


def person_form(**overrides) -> dict:
    form = {
        "intent": "edit",
        "name": "Sam",
        "relation": "partner",
        "contact_frequency": "",
        "closeness_ring": "2",
        "satisfying": "",
        "unsatisfying": "",
        "expectations": "",
        "expectations_met": "",
        "changes_wanted": "",
    }
    return {**form, **overrides}


def add_sam(personas, course, actor=None, **data) -> InventoryPerson:
    fields = {"name": "Sam", "relation": "partner", "closeness_ring": 2, **data}
    return actions.add_person(actor=actor or personas.patient, course=course, data=fields)


def history_text(response) -> str:
    return " ".join(response.content.decode().split()).replace("&#x27;", "'")


def test_a_patient_adds_a_person_and_the_therapist_sees_who_added_it(personas, client_for, course):
    response = client_for("patient").post(
        reverse("my_inventory"), person_form(intent="add", satisfying=SECRET_TEXT)
    )
    assert response.status_code == 302
    assert all("Sam" not in morsel.value for morsel in response.cookies.values())  # no name in a cookie
    person = InventoryPerson.objects.get(course=course)
    change = InventoryChange.objects.get(person=person)
    assert (change.kind, change.changed_by) == ("add", personas.patient)
    assert json.loads(change.after)["satisfying"] == SECRET_TEXT
    event = AuditEvent.objects.get(action="inventory.add")
    assert (event.actor, event.object_id, event.patient) == (
        personas.patient,
        str(person.pk),
        personas.patient,
    )
    assert SECRET_TEXT not in json.dumps(event.detail)

    page = client_for("therapist").get(reverse("course_inventory", args=[course.pk]))
    assert page.status_code == 200
    assert "Paula Tient added Sam to ring 2" in history_text(page)


def test_the_therapist_changes_a_ring_and_the_patient_sees_it_in_plain_words(personas, client_for, course):
    person = add_sam(personas, course)
    url = reverse("course_inventory_person", args=[course.pk, person.pk])
    response = client_for("therapist").post(url, person_form(closeness_ring="1"))
    assert response.status_code == 302

    change = InventoryChange.objects.get(person=person, kind="edit")
    assert change.changed_by == personas.therapist
    assert change.fields == ["closeness_ring"]
    assert json.loads(change.before) == {"closeness_ring": 2}
    assert json.loads(change.after) == {"closeness_ring": 1}
    assert AuditEvent.objects.get(action="inventory.edit").detail == {"fields": ["closeness_ring"]}

    page = client_for("patient").get(reverse("my_inventory"))
    text = history_text(page)
    assert "Who matters in your life?" in text
    assert "Your therapist (Thea Rapist) changed Sam's ring from 2 to 1" in text
    assert "You added Sam to ring 2" in text


def test_an_edit_keeps_only_the_changed_fields_before_and_after_encrypted(personas, client_for, course):
    person = add_sam(personas, course, actor=personas.therapist, contact_frequency="daily")
    url = reverse("my_inventory_person", args=[person.pk])
    form = person_form(name="Samuel", contact_frequency="weekly", satisfying=SECRET_TEXT, is_deceased="on")
    assert client_for("patient").post(url, form).status_code == 302

    change = InventoryChange.objects.get(person=person, kind="edit")
    assert change.fields == ["name", "contact_frequency", "satisfying", "is_deceased"]
    assert json.loads(change.before) == {
        "name": "Sam",
        "contact_frequency": "daily",
        "satisfying": "",
        "is_deceased": False,
    }
    assert json.loads(change.after)["satisfying"] == SECRET_TEXT
    with connection.cursor() as cursor:
        cursor.execute("SELECT after FROM care_inventorychange WHERE id = %s", [change.pk])
        (raw,) = cursor.fetchone()
    assert SECRET_TEXT not in raw

    page = client_for("therapist").get(reverse("course_inventory_person", args=[course.pk, person.pk]))
    text = history_text(page)
    assert (
        "Paula Tient changed Samuel's name from Sam to Samuel, contact from Every day to Every week, "
        "what is satisfying, has died from no to yes"
    ) in text
    assert SECRET_TEXT in text  # in the before/after table


def test_saving_without_a_change_writes_no_history(personas, client_for, course):
    person = add_sam(personas, course, contact_frequency="daily")
    url = reverse("my_inventory_person", args=[person.pk])
    assert client_for("patient").post(url, person_form(contact_frequency="daily")).status_code == 302
    assert list(InventoryChange.objects.filter(person=person).values_list("kind", flat=True)) == ["add"]


def test_a_removed_person_leaves_the_list_and_the_circle_but_keeps_their_history(
    personas, client_for, course
):
    person = add_sam(personas, course, actor=personas.therapist)
    patient = client_for("patient")
    url = reverse("my_inventory_person", args=[person.pk])
    assert patient.post(url, {"intent": "remove"}).status_code == 302

    person.refresh_from_db()
    assert person.is_removed
    assert InventoryChange.objects.filter(person=person, kind="remove", changed_by=personas.patient).exists()
    assert patient.get(url).status_code == 404
    page = client_for("therapist").get(reverse("course_inventory", args=[course.pk]))
    assert "Paula Tient removed Sam" in history_text(page)
    assert "People (0)" in history_text(page)
    svg = client_for("therapist").get(reverse("course_circle_svg", args=[course.pk])).content.decode()
    assert "Sam" not in svg


def test_an_edit_made_on_an_outdated_page_is_refused_with_the_latest_version(personas, client_for, course):
    person = add_sam(personas, course)
    url = reverse("course_inventory_person", args=[course.pk, person.pk])
    therapist = client_for("therapist")
    seen = person.updated_at.isoformat()
    actions.update_person(
        actor=personas.patient,
        course=course,
        person=person,
        data={"name": "Sam", "relation": "partner", "closeness_ring": 1},
    )
    response = therapist.post(url, person_form(closeness_ring="3", seen_version=seen))
    assert response.status_code == 400
    assert "Someone else changed this person" in history_text(response)
    person.refresh_from_db()
    assert person.closeness_ring == 1
    assert InventoryChange.objects.filter(person=person, kind="edit").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"closeness_ring": "4"}, "Choose ring 1 (closest), 2 or 3 (furthest)."),
        ({"closeness_ring": "one"}, "Choose ring 1 (closest), 2 or 3 (furthest)."),
        ({"name": "   "}, "Give the person a name"),
        ({"name": "x" * 101}, "Keep the name under 100 characters."),
        ({"relation": "enemy"}, "Choose one of the options in the list."),
        ({"expectations_met": "maybe"}, "Choose one of the options in the list."),
        ({"satisfying": "x" * 4001}, "Keep this under 4,000 characters."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(
    personas, client_for, course, overrides, message
):
    for client, url in (
        (client_for("patient"), reverse("my_inventory")),
        (client_for("therapist"), reverse("course_inventory", args=[course.pk])),
    ):
        response = client.post(url, person_form(intent="add", **overrides))
        assert response.status_code == 400
        assert message in history_text(response)
    assert not InventoryPerson.objects.exists()
    assert not InventoryChange.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="inventory.add").exists()


def test_a_bad_edit_is_refused_and_changes_nothing(personas, client_for, course):
    person = add_sam(personas, course)
    url = reverse("my_inventory_person", args=[person.pk])
    response = client_for("patient").post(url, person_form(closeness_ring="4", name="Changed"))
    assert response.status_code == 400
    assert "Choose ring 1 (closest), 2 or 3 (furthest)." in history_text(response)
    person.refresh_from_db()
    assert (person.name, person.closeness_ring) == ("Sam", 2)
    assert response.status_code == 400
    assert client_for("patient").post(url, {"intent": "junk"}).status_code == 400


def test_the_patient_of_another_course_cannot_read_or_change_a_person(
    personas, client_for, course, other_course
):
    person = add_sam(personas, course)
    other_patient = client_for("other_patient")
    url = reverse("my_inventory_person", args=[person.pk])
    assert other_patient.get(url).status_code == 404
    assert other_patient.post(url, person_form(name="Hacked")).status_code == 404
    assert other_patient.post(url, {"intent": "remove"}).status_code == 404
    # A whole word: the page's random CSRF token may contain the letters "Sam".
    assert not re.search(r"\bSam\b", other_patient.get(reverse("my_inventory")).content.decode())
    other_therapist = client_for("other_therapist")
    staff_url = reverse("course_inventory_person", args=[course.pk, person.pk])
    assert other_therapist.get(staff_url).status_code == 404
    assert other_therapist.post(staff_url, person_form(name="Hacked")).status_code == 404
    assert (
        other_therapist.post(
            reverse("course_inventory", args=[course.pk]), person_form(intent="add")
        ).status_code
        == 404
    )
    person.refresh_from_db()
    assert (person.name, person.is_removed) == ("Sam", False)
    assert InventoryPerson.objects.count() == 1


def test_the_supervisor_reads_the_inventory_but_cannot_change_it(personas, client_for, course):
    person = add_sam(personas, course)
    supervisor = client_for("supervisor")
    assert supervisor.get(reverse("course_inventory", args=[course.pk])).status_code == 200
    url = reverse("course_inventory_person", args=[course.pk, person.pk])
    page = supervisor.get(url)
    assert page.status_code == 200 and "Save changes" not in page.content.decode()
    assert supervisor.post(url, person_form(name="Changed")).status_code == 403
    assert supervisor.post(url, {"intent": "remove"}).status_code == 403
    assert (
        supervisor.post(reverse("course_inventory", args=[course.pk]), person_form(intent="add")).status_code
        == 403
    )
    person.refresh_from_db()
    assert (person.name, person.is_removed, InventoryPerson.objects.count()) == ("Sam", False, 1)


def test_the_admin_and_a_patient_cannot_use_the_staff_pages(personas, client_for, course):
    url = reverse("course_inventory", args=[course.pk])
    assert client_for("admin").get(url).status_code == 403
    assert client_for("patient").get(url).status_code == 403
    assert client_for("admin").get(reverse("my_inventory")).status_code == 403


def test_a_patient_without_a_course_gets_not_found(personas, client_for):
    assert client_for("patient").get(reverse("my_inventory")).status_code == 404


def test_every_read_is_audited(personas, client_for, course):
    person = add_sam(personas, course)
    client_for("therapist").get(reverse("course_inventory", args=[course.pk]))
    client_for("patient").get(reverse("my_inventory_person", args=[person.pk]))
    reads = AuditEvent.objects.filter(action="inventory.read").order_by("id")
    assert [(event.actor, event.patient) for event in reads] == [
        (personas.therapist, personas.patient),
        (personas.patient, personas.patient),
    ]


def test_an_ended_course_is_read_only(personas, client_for, course):
    person = add_sam(personas, course)
    TreatmentCourse.objects.filter(pk=course.pk).update(status=CourseStatus.COMPLETED)
    patient = client_for("patient")
    page = patient.get(reverse("my_inventory"))
    assert page.status_code == 200 and "Add someone" not in page.content.decode()
    response = patient.post(reverse("my_inventory_person", args=[person.pk]), person_form(closeness_ring="1"))
    assert response.status_code == 400
    assert "This course has ended" in history_text(response)
    person.refresh_from_db()
    assert person.closeness_ring == 2


def test_the_actions_check_their_input_and_who_acts(personas, course, other_course):
    with pytest.raises(ValidationError):
        actions.add_person(
            actor=personas.patient,
            course=course,
            data={"name": "A", "relation": "partner", "closeness_ring": "1"},
        )
    with pytest.raises(ValidationError):
        actions.add_person(
            actor=personas.patient, course=course, data={"name": "A", "relation": "partner", "mood": 3}
        )
    from django.core.exceptions import PermissionDenied

    for actor in (personas.supervisor, personas.other_patient, personas.other_therapist, personas.admin):
        with pytest.raises(PermissionDenied):
            add_sam(personas, course, actor=actor)
    assert not InventoryPerson.objects.exists()
