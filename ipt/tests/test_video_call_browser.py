"""A video session in two real browsers: the patient waits, the therapist admits, both connect.

Two Chromium contexts with fake camera and microphone (one per person) against uvicorn serving
ipt.asgi:application; with REDIS_URL also across two uvicorn processes sharing the Redis channel
layer. The call page exposes data-testid="call-state" (the RTCPeerConnection's connectionState)
and data-testid="remote-video".
"""

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ipt.conftest import PASSWORD, current_code
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth import actions
from ipt.telehealth.models import ConsentDocument, ConsentSignature, LocationCheck
from ipt.tests.conftest import CHROMIUM
from ipt.visits.tests.conftest import make_course

pytestmark = pytest.mark.browser

CALL_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-quic",
    "--no-first-run",
    "--allow-loopback-in-peer-connection",
]
CONNECT_TIMEOUT = 20_000
CODE_LABEL = "6-digit code from your authenticator app"

# Test instrumentation, injected before the page's own scripts (CDP, so the CSP does not apply):
# keeps the page's websockets reachable and can hold the network "down" for them.
SOCKET_SWITCH = r"""
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.__offline = false;
  function Switched(url, protocols) {
    const socket = new Real(window.__offline ? url.replace(/\/ws\/.*$/, "/ws/no-such-socket/") : url, protocols);
    window.__sockets.push(socket);
    return socket;
  }
  Switched.prototype = Real.prototype;
  Object.assign(Switched, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Switched;
})();
"""

REMOTE_VIDEO_PLAYS = """
async () => {
  const video = document.querySelector('[data-testid="remote-video"]');
  if (!video || !video.srcObject || video.videoWidth === 0) return false;
  const frame = () => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 3000);
    video.requestVideoFrameCallback((now, metadata) => { clearTimeout(timer); resolve(metadata.presentedFrames); });
  });
  const first = await frame();
  const second = await frame();
  return first !== null && second !== null && second > first;
}
"""


@pytest.fixture(scope="module")
def call_browser() -> Iterator[Browser]:
    """Chromium with fake media devices (the shared ``chromium`` fixture has no media flags)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread; the ORM would refuse to run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def person(call_browser) -> Iterator:
    """person(server_url) -> a browser context of its own, allowed to use camera and microphone."""
    opened: list[BrowserContext] = []

    def build(base_url: str) -> BrowserContext:
        context = call_browser.new_context(base_url=base_url, permissions=["camera", "microphone"])
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    yield build
    for context in opened:
        context.close()


def sign_in(page: Page, user) -> None:
    """Through the real login page: password, and the TOTP step for staff."""
    page.goto("/login/")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if user.is_staff_role:
        page.get_by_label(CODE_LABEL).fill(current_code(user))
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login/" not in url and "/mfa/" not in url)


def appointment_now(personas) -> Appointment:
    """Booked for now, in a course in the middle phase, consent signed and location confirmed."""
    document = ConsentDocument.objects.order_by("-version").first() or ConsentDocument.objects.create(
        version=1, title="Telehealth consent", body="Sessions happen over video."
    )
    ConsentSignature.objects.get_or_create(
        document=document, patient=personas.patient, defaults={"typed_name": "P"}
    )
    start = timezone.now() - timedelta(minutes=2)
    appointment = Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        course=make_course(personas.care_team),
        start=start,
        end=start + timedelta(minutes=50),
        status=AppointmentStatus.BOOKED,
        created_by=personas.therapist,
    )
    LocationCheck.objects.create(
        appointment=appointment,
        country="IE",
        region="IE-D",
        emergency_address="1 Main Street, Dublin",
        is_private=True,
        callback_number="+353 1 234 5678",
    )
    return appointment


def admit_outside_the_browser_loop(therapist, appointment: Appointment) -> None:
    """admit_patient broadcasts with async_to_sync, which cannot run on Playwright's loop thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_admit_and_close_connection, therapist, appointment).result()


def _admit_and_close_connection(therapist, appointment: Appointment) -> None:
    try:
        actions.admit_patient(actor=therapist, appointment=appointment)
    finally:
        connection.close()


def expect_connected(*pages: Page) -> None:
    for page in pages:
        expect(page.get_by_test_id("call-state")).to_have_text("connected", timeout=CONNECT_TIMEOUT)


def expect_video_from_the_other(*pages: Page) -> None:
    for page in pages:
        page.wait_for_function(REMOTE_VIDEO_PLAYS, timeout=CONNECT_TIMEOUT, polling=500)


def chat(page: Page, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()


def expect_chat_once(page: Page, text: str) -> None:
    log = page.get_by_test_id("chat-log")
    expect(log.locator("li[data-id]", has_text=text)).to_have_count(1)
    expect(log.locator("li", has_text=text)).to_have_count(1)


def wait_then_admit_and_connect(
    therapist: Page, patient: Page, appointment: Appointment, screenshot=None
) -> None:
    """The patient waits; the therapist sees them arrive live and admits; both connect with video."""
    therapist.goto(reverse("schedule"))
    lobby = therapist.get_by_test_id("lobby-list")
    expect(lobby.get_by_role("button", name="Admit Paula Tient")).to_have_count(0)

    patient.goto(reverse("waiting_room", args=[appointment.pk]))
    expect(patient.get_by_text("Your therapist will let you in shortly")).to_be_visible()
    expect(patient.get_by_test_id("waiting-status")).to_contain_text("You are in the waiting room")
    expect(patient.locator("#preview-video")).to_be_hidden()  # the camera preview only when asked for

    admit = lobby.get_by_role("button", name="Admit Paula Tient")
    expect(admit).to_be_visible()  # arrived live, without reloading the schedule
    if screenshot is not None:
        screenshot(patient, "video-call-waiting-room")
        screenshot(therapist, "video-call-lobby")
    admit.click()

    call_path = reverse("video_call", args=[appointment.pk])
    therapist.wait_for_url(f"**{call_path}")
    patient.wait_for_url(f"**{call_path}")
    expect_connected(therapist, patient)
    expect_video_from_the_other(therapist, patient)


def chat_both_ways_then_end(therapist: Page, patient: Page, appointment: Appointment) -> None:
    chat(therapist, "Hello Paula, can you hear me?")
    chat(patient, "Yes, <b>loud</b> and clear")
    for page in (therapist, patient):
        expect_chat_once(page, "Hello Paula, can you hear me?")
        expect_chat_once(page, "Yes, <b>loud</b> and clear")  # shown as text, never as markup
        expect(page.get_by_test_id("chat-log").locator("b")).to_have_count(0)

    therapist.get_by_role("button", name="End session").click()

    appointment.refresh_from_db()
    note = reverse("session_note", args=[appointment.course_id, appointment.encounter_id])
    therapist.wait_for_url(f"**{note}")
    patient.wait_for_url(f"**{reverse('my_appointments')}")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.FULFILLED
    assert appointment.encounter.chat_messages.count() == 2


def test_the_patient_waits_the_therapist_admits_they_see_each_other_chat_and_the_session_ends_into_the_note(
    personas, asgi_live_server, person, screenshot
):
    appointment = appointment_now(personas)
    therapist = person(asgi_live_server.url).new_page()
    patient = person(asgi_live_server.url).new_page()
    sign_in(therapist, personas.therapist)
    sign_in(patient, personas.patient)

    wait_then_admit_and_connect(therapist, patient, appointment, screenshot)
    expect(therapist.get_by_test_id("location-check")).to_be_visible()
    expect(therapist.get_by_test_id("call-quality")).not_to_have_text("measuring…", timeout=10_000)
    mute = patient.get_by_role("button", name="Mute microphone")
    mute.click()
    expect(patient.get_by_role("button", name="Unmute microphone")).to_have_attribute("aria-pressed", "true")
    assert (
        patient.evaluate("() => document.getElementById('local-video').srcObject.getAudioTracks()[0].enabled")
        is False
    )
    patient.get_by_role("button", name="Unmute microphone").click()
    screenshot(therapist, "video-call-therapist")
    screenshot(patient, "video-call-patient")
    chat_both_ways_then_end(therapist, patient, appointment)


def test_a_call_connects_when_patient_and_therapist_are_on_two_server_processes(
    personas, live_server_factory, person, settings
):
    if not django_settings.REDIS_URL:
        pytest.skip("Two server processes share signaling only through Redis: set REDIS_URL.")
    patient_server = live_server_factory()
    therapist_server = live_server_factory()
    settings.SITE_URL = patient_server.url
    appointment = appointment_now(personas)
    therapist = person(therapist_server.url).new_page()
    patient = person(patient_server.url).new_page()
    sign_in(therapist, personas.therapist)
    sign_in(patient, personas.patient)

    wait_then_admit_and_connect(therapist, patient, appointment)
    assert therapist.url.startswith(therapist_server.url) and patient.url.startswith(patient_server.url)
    chat_both_ways_then_end(therapist, patient, appointment)


def test_after_a_network_drop_and_a_reopened_page_the_call_reconnects_and_no_message_is_lost_or_doubled(
    personas, asgi_live_server, person
):
    appointment = appointment_now(personas)
    admit_outside_the_browser_loop(personas.therapist, appointment)
    call_path = reverse("video_call", args=[appointment.pk])
    therapist = person(asgi_live_server.url).new_page()
    patient_context = person(asgi_live_server.url)
    patient_context.add_init_script(SOCKET_SWITCH)
    patient = patient_context.new_page()
    sign_in(therapist, personas.therapist)
    sign_in(patient, personas.patient)
    therapist.goto(call_path)
    patient.goto(call_path)
    expect_connected(therapist, patient)

    # The patient's network drops: their socket closes and cannot come back for a while.
    patient.evaluate("() => { window.__offline = true; window.__sockets.forEach((s) => s.close()); }")
    expect(therapist.locator("#peer-status")).to_contain_text("Waiting for Paula Tient", timeout=10_000)
    chat(therapist, "Are you still there?")
    chat(patient, "Sorry, my connection dropped")  # queued while offline
    expect(therapist.get_by_test_id("chat-log").locator("li", has_text="Are you still there?")).to_have_count(
        1
    )
    patient.wait_for_timeout(1500)
    expect(
        patient.get_by_test_id("chat-log").locator("li[data-id]", has_text="Are you still there?")
    ).to_have_count(0)

    patient.evaluate("() => { window.__offline = false; }")

    expect_connected(therapist, patient)
    expect_video_from_the_other(therapist, patient)
    for page in (therapist, patient):
        expect_chat_once(page, "Are you still there?")
        expect_chat_once(page, "Sorry, my connection dropped")

    # The patient closes the page and opens the call again: the history comes back once.
    patient.close()
    expect(therapist.locator("#peer-status")).to_contain_text("Waiting for Paula Tient", timeout=10_000)
    chat(therapist, "Take your time")
    reopened = patient_context.new_page()
    reopened.goto(call_path)

    expect_connected(therapist, reopened)
    expect_video_from_the_other(therapist, reopened)
    for text in ("Are you still there?", "Sorry, my connection dropped", "Take your time"):
        expect_chat_once(reopened, text)
        expect_chat_once(therapist, text)
    appointment.refresh_from_db()
    assert appointment.encounter.chat_messages.count() == 3
