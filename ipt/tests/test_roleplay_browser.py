"""A patient rehearses a hard conversation on a phone: replies follow how they speak, with feedback."""

import pytest
from playwright.sync_api import expect

from ipt.practice.models import RolePlaySession, RolePlayTurn
from ipt.tests.test_browser import sign_in, watch_console
from ipt.visits.tests.conftest import make_course

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_patient_role_plays_on_a_phone_and_gets_a_reply_and_feedback_for_each_turn(
    personas, new_context, screenshot
):
    make_course(personas.care_team)
    page = new_context(**PHONE).new_page()
    console = watch_console(page)
    sign_in(page, personas.patient.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto("/my/practice/role-play/")
    page.get_by_label("Asking your partner to share the load").check()
    page.get_by_role("button", name="Start the role-play").click()
    expect(page.get_by_text("You said you wanted to talk about the housework?")).to_be_visible()

    page.get_by_label("What do you say?").fill("You never help with anything. You are so lazy.")
    page.get_by_role("button", name="Say it").click()
    expect(page.locator(".rp-stance").last).to_have_text("· defensive")
    expect(page.get_by_role("heading", name="Feedback on what you just said")).to_be_visible()
    expect(page.locator(".rp-suggestions li").first).to_be_visible()

    page.get_by_label("What do you say?").fill(
        "I feel exhausted when I cook every weekday evening. Could you cook on Tuesdays and Thursdays?"
    )
    page.get_by_role("button", name="Say it").click()
    expect(page.locator(".rp-stance").last).to_have_text("· open, and agreeing to something")
    expect(page.locator(".rp-mine mark.cf-strength").first).to_be_visible()
    assert page.get_by_label("What do you say?").input_value() == ""

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    assert scroll_width <= inner_width == 390
    screenshot(page, "roleplay-phone")

    session = RolePlaySession.objects.get()
    assert RolePlayTurn.objects.filter(session=session, speaker="patient").count() == 2
    assert not [line for line in console if "Content Security Policy" in line]
