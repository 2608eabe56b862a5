"""A patient fills in a PHQ-9 on a phone-sized screen (answers saved as they go, item 9 above 0);
they see their score in plain words and crisis help; the therapist sees the score and the alert."""

import re

import pytest
from playwright.sync_api import Page, expect

from ipt.conftest import current_code
from ipt.measures.actions import assign_instrument
from ipt.measures.models import QuestionnaireResponse
from ipt.measures.tests.test_administrations import new_course
from ipt.safety.models import RiskAlert
from ipt.tests.test_browser import csp_violations, enter_code, path_of, sign_in, watch_console

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def question(page: Page, number: int):
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def test_a_patient_completes_a_phq9_on_a_phone_and_the_therapist_sees_the_score_and_the_alert(
    personas, new_context, screenshot
):
    course = new_course(personas)
    assign_instrument(
        actor=personas.therapist, course=course, instrument="phq9", schedule="before_every_session"
    )

    page = new_context(**PHONE).new_page()
    logged = watch_console(page)
    sign_in(page, personas.patient.email)
    expect(page.get_by_role("heading", name="Questionnaires to fill in")).to_be_visible()
    page.get_by_role("button", name="Fill in PHQ-9").click()
    expect(page.get_by_role("heading", name="PHQ-9")).to_be_visible()

    # Large tap targets: every answer is a whole-width label at least 44px high.
    box = question(page, 1).locator("label", has_text="Several days").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 300

    for number in (1, 2, 3):
        question(page, number).get_by_text("Several days").tap()
    status = page.locator("#questionnaire-save-status")
    expect(status).to_have_text("Saved: 3 of 10 answered.")
    page.reload()
    for number in (1, 2, 3):
        expect(question(page, number).get_by_label("Several days")).to_be_checked()
    expect(question(page, 4).get_by_label("Several days")).not_to_be_checked()

    for number in range(4, 10):
        question(page, number).get_by_text("Several days").tap()
    question(page, 10).get_by_text("Somewhat difficult").tap()
    expect(status).to_have_text("Saved: 10 of 10 answered.")
    screenshot(page, "questionnaire-phone")
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_text("Your answers suggest mild depression symptoms.")).to_be_visible()
    expect(page.get_by_role("heading", name="Help is available")).to_be_visible()
    expect(page.get_by_text("Your therapist has been told")).to_be_visible()
    scroll_width, inner_width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width == 390
    screenshot(page, "questionnaire-result-phone")
    assert csp_violations(logged) == []

    response = QuestionnaireResponse.objects.get(course=course)
    assert (response.total, response.flags) == (9, ["suicidal_ideation"])
    alert = RiskAlert.objects.get(course=course)

    therapist = new_context().new_page()
    sign_in(therapist, personas.therapist.email)
    enter_code(therapist, current_code(personas.therapist), "Continue")
    expect(therapist.get_by_role("heading", name="Caseload")).to_be_visible()
    expect(therapist.get_by_text("Open risk alert", exact=True)).to_be_visible()
    therapist.goto(f"/courses/{course.pk}/measures/")
    assert path_of(therapist) == f"/courses/{course.pk}/measures/"
    expect(therapist.get_by_text("Latest: 9 (mild)")).to_be_visible()
    expect(therapist.get_by_role("heading", name="Risk alert needing attention")).to_be_visible()
    expect(therapist.locator(f'a[href="/alerts/{alert.pk}/"]')).to_be_visible()
    chart = therapist.get_by_role("img", name=re.compile("PHQ-9 scores over time"))
    expect(chart).to_be_visible()
    assert therapist.evaluate("document.querySelector('.measure-chart img').naturalWidth") > 0
    screenshot(therapist, "measures-therapist")
