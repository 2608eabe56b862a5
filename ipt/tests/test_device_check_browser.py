"""The device check in a real Chromium with a fake camera and microphone: the preview plays, the
microphone meter hears the fake tone, and the connection test reports a rating with numbers."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ipt.scheduling.models import Appointment
from ipt.telehealth.models import LocationCheck
from ipt.telehealth.tests.test_consent import consent_version_1  # noqa: F401 (autouse fixture)
from ipt.tests.conftest import CHROMIUM, CHROMIUM_ARGS
from ipt.tests.test_browser import csp_violations, sign_in, watch_console

pytestmark = pytest.mark.browser

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def chromium():
    """This module's Chromium has a fake camera and microphone (``new_context`` uses it)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
            yield browser
            browser.close()


def test_the_device_check_shows_the_camera_the_microphone_and_a_connection_result(
    personas, new_context, screenshot
):
    page = new_context(permissions=["camera", "microphone"]).new_page()
    logged = watch_console(page)
    sign_in(page, personas.patient.email)
    expect(
        page.get_by_role("link", name="Sign out").or_(page.get_by_role("button", name="Sign out"))
    ).to_be_visible()

    page.goto("/device-check/")

    expect(page.get_by_test_id("camera-status")).to_have_text(re.compile(r"^Camera working \(\d+×\d+\)"))
    page.wait_for_function("document.getElementById('camera-preview').videoWidth > 0")
    expect(page.get_by_test_id("microphone-status")).to_have_text("Microphone working: we can hear you.")
    assert page.eval_on_selector("#microphone-level", "meter => meter.value") >= 0
    connection = page.get_by_test_id("connection-status")
    expect(connection).to_have_text(re.compile(r"^(Good|Fair|Poor): round trip \d+ ms, server \d+ ms; "))
    expect(page.locator("#connection-websocket")).to_have_text(re.compile(r"^\d+ ms \((good|fair|poor)\)$"))
    expect(page.locator("#permission-help")).to_be_hidden()
    screenshot(page, "device-check")
    assert csp_violations(logged) == []


def test_a_blocked_camera_shows_help_in_plain_words(personas, new_context):
    page = new_context().new_page()  # no permissions granted: getUserMedia is refused
    sign_in(page, personas.patient.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    page.goto("/device-check/")
    expect(page.get_by_test_id("camera-status")).to_have_text(
        re.compile(r"^Blocked: your browser is not letting")
    )
    expect(page.get_by_role("heading", name="Allowing your camera and microphone")).to_be_visible()
    expect(page.locator('dt[aria-current="true"]')).to_have_text("Chrome or Edge on a computer")


def test_a_patient_signs_the_consent_then_picks_a_country_and_its_regions_follow(
    personas, new_context, screenshot
):
    start = timezone.now() + timedelta(minutes=5)
    appointment = Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        start=start,
        end=start + timedelta(minutes=50),
        created_by=personas.therapist,
    )
    page = new_context().new_page()
    logged = watch_console(page)
    sign_in(page, personas.patient.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"/appointments/{appointment.pk}/join/")
    expect(page.get_by_role("heading", name="Consent to therapy by video", level=2)).to_be_visible()
    page.get_by_label("Type your full name").fill("paula tient")
    page.get_by_label("I have read this consent and I agree to it").check()
    screenshot(page, "telehealth-consent")
    page.get_by_role("button", name="Sign the consent").click()

    expect(page.get_by_role("heading", name="Where are you today?")).to_be_visible()
    page.get_by_label("Country you are in now").select_option("CA")
    region = page.get_by_label("State, province or region")
    expect(region.locator('option[value="CA-ON"]')).to_have_text("Ontario")  # refreshed by htmx
    region.select_option("CA-ON")
    page.get_by_label("The address where you are now").fill("1 Queen St W, Toronto")
    page.get_by_label("I am somewhere private where I can talk").check()
    page.get_by_label("A phone number we can call you on").fill("+1 416 555 0100")
    screenshot(page, "telehealth-join")
    page.get_by_role("button", name="Go to the waiting room").click()

    page.wait_for_url(f"**/appointments/{appointment.pk}/waiting/")
    check = LocationCheck.objects.get(appointment=appointment)
    assert (check.country, check.region, check.callback_number) == ("CA", "CA-ON", "+1 416 555 0100")
    assert csp_violations(logged) == []
