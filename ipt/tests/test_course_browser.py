"""A therapist runs an initial-phase session in the browser; the patient acknowledges the formulation."""

import pytest
from playwright.sync_api import Page, expect

from ipt.care.actions.course import change_status, start_course
from ipt.care.models import Formulation
from ipt.conftest import current_code
from ipt.tests.test_browser import enter_code, sign_in

pytestmark = pytest.mark.browser

CLINICAL = "Depressive episode in the context of a role dispute with Sam (renegotiation)."
PLAIN = "Your low mood began when you and Sam started arguing about the move."


@pytest.fixture
def initial_course(personas):
    course = start_course(
        actor=personas.therapist,
        care_team=personas.care_team,
        format="ipt",
        planned_sessions=16,
        target_conditions=["depression"],
    )
    return change_status(actor=personas.therapist, course=course, to_status="initial")


def therapist_page(new_context, personas) -> Page:
    page = new_context().new_page()
    sign_in(page, personas.therapist.email)
    enter_code(page, current_code(personas.therapist), "Continue")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    return page


def test_a_therapist_runs_an_initial_session_and_the_patient_acknowledges_the_formulation(
    personas, initial_course, new_context, screenshot
):
    course = f"/courses/{initial_course.pk}"
    therapist = therapist_page(new_context, personas)

    therapist.goto(f"{course}/inventory/")
    therapist.get_by_label("Name", exact=True).fill("Sam")
    therapist.get_by_label("Relation", exact=True).select_option(label="Partner or spouse")
    therapist.locator("select[name=closeness_ring]").select_option("1")
    therapist.get_by_label("What is unsatisfying").fill("Arguments about moving cities")
    therapist.get_by_role("button", name="Add to the inventory").click()
    expect(therapist.get_by_text("Sam").first).to_be_visible()

    therapist.goto(f"{course}/problem-areas/")
    therapist.get_by_label("Role dispute:").check()
    therapist.get_by_label("Primary").check()
    therapist.get_by_role("button", name="Choose").click()
    therapist.goto(f"{course}/problem-areas/")
    expect(therapist.get_by_role("link", name="Primary: Role dispute")).to_be_visible()

    therapist.goto(f"{course}/formulation/")
    therapist.get_by_label("Interpersonal formulation (clinical)").fill(CLINICAL)
    therapist.get_by_label("The same in plain words, for the patient").fill(PLAIN)
    therapist.get_by_role("button", name="Save draft").click()
    therapist.get_by_role("button", name="Share version 1 with the patient").click()
    expect(therapist.get_by_text("Not yet")).to_be_visible()

    patient = new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(patient, personas.patient.email)
    patient.goto("/my/formulation/")
    expect(patient.get_by_text(PLAIN)).to_be_visible()
    assert CLINICAL not in patient.content()
    patient.get_by_role("button", name="I have read this and it fits my experience").click()
    screenshot(patient, "patient-formulation-acknowledged")
    assert Formulation.objects.get(course=initial_course).acknowledged_at is not None

    therapist.goto(f"{course}/formulation/")
    expect(therapist.get_by_text("Not yet")).to_have_count(0)
    therapist.goto(f"{course}/")
    screenshot(therapist, "therapist-course-overview")
    overview = therapist.content()
    for task in ("Interpersonal inventory taken", "Problem area chosen", "Formulation shared"):
        assert task in overview
