"""The session note keeps what the therapist types (quality target R3), in a real browser.

Chromium against uvicorn (see conftest.py). The therapist's session is created server side and its
cookie handed to the browser, so the test does not spend a TOTP code.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from ipt.tests.conftest import signed_in_context
from ipt.visits import actions
from ipt.visits.models import SessionNote
from ipt.visits.tests.conftest import make_course, note_url

pytestmark = pytest.mark.browser

SAVED = re.compile(r"^Saved \d\d:\d\d$")


@pytest.fixture
def note_page(personas, new_context, asgi_live_server):
    """(context, note URL, note) for a fresh draft note in the patient's middle-phase course."""
    course = make_course(personas.care_team)
    encounter = actions.create_encounter(actor=personas.therapist, course=course)
    context = signed_in_context(new_context, asgi_live_server.url, personas.therapist)
    return context, note_url("session_note", encounter), encounter.note


def stored_note(note) -> SessionNote:
    return SessionNote.objects.get(pk=note.pk)


def local_copy(page, note) -> str | None:
    """The copy kept on the device (draft-store.js keys it by the signed-in user, then the note)."""
    return page.evaluate(
        f"localStorage.getItem('ipt-draft:' + document.body.dataset.draftUser + ':note:{note.pk}')"
    )


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_what_the_therapist_types_is_saved_and_is_there_after_a_reload(note_page):
    context, url, note = note_page
    page = context.new_page()
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    page.goto(url)

    page.get_by_label("Mood since last session").fill("Better since the talk with Sam")
    expect(page.locator("#note-save-status .save-ok")).to_have_text(SAVED)
    page.get_by_label("Communication analysis").check()  # the second save carries the new draft version
    assert wait_for(lambda: stored_note(note).techniques == ["communication_analysis"])
    page.get_by_label("Plan").fill("A third save")
    assert wait_for(lambda: stored_note(note).plan == "A third save")
    expect(page.locator("#note-save-status .save-ok")).to_have_text(SAVED)
    page.reload()

    expect(page.get_by_label("Mood since last session")).to_have_value("Better since the talk with Sam")
    expect(page.get_by_label("Communication analysis")).to_be_checked()
    saved = stored_note(note)
    assert saved.mood_since_last == "Better since the talk with Sam"
    assert saved.techniques == ["communication_analysis"]
    assert wait_for(lambda: local_copy(page, note) is None)  # the server has it: nothing kept on the device
    assert [line for line in logged if "Content Security Policy" in line] == []


def test_a_bad_mood_rating_is_reported_in_the_status_line_and_not_saved(note_page):
    context, url, note = note_page
    page = context.new_page()
    page.goto(url)

    page.get_by_label("Mood rating (0 worst, 10 best)").fill("11")

    expect(page.locator("#note-save-status")).to_contain_text("Mood rating is from 0 (worst) to 10 (best).")
    assert stored_note(note).mood_rating is None


def test_text_typed_offline_is_kept_on_the_device_and_saved_when_the_note_is_opened_again(note_page):
    context, url, note = note_page
    page = context.new_page()
    page.goto(url)

    context.set_offline(True)
    page.get_by_label("Plan").fill("Typed with no connection 3391")
    expect(page.locator("#note-save-status")).to_contain_text("no connection")
    assert "Typed with no connection 3391" in local_copy(page, note)
    page.close()
    context.set_offline(False)
    assert stored_note(note).plan == ""

    reopened = context.new_page()
    reopened.goto(url)

    expect(reopened.get_by_label("Plan")).to_have_value("Typed with no connection 3391")
    # The restored copy is saved once the page has loaded; allow for a busy CI machine.
    expect(reopened.locator("#note-save-status .save-ok")).to_have_text(SAVED, timeout=15_000)
    assert wait_for(lambda: stored_note(note).plan == "Typed with no connection 3391")
    assert wait_for(lambda: local_copy(reopened, note) is None)


def test_text_typed_offline_is_there_after_going_online_and_reloading(note_page):
    context, url, note = note_page
    page = context.new_page()
    page.goto(url)

    context.set_offline(True)
    page.get_by_label("Shared summary").fill("We talked about Sam 8820")
    expect(page.locator("#note-save-status")).to_contain_text("no connection")
    context.set_offline(False)
    page.reload()

    expect(page.get_by_label("Shared summary")).to_have_value("We talked about Sam 8820")
    assert wait_for(lambda: stored_note(note).shared_summary == "We talked about Sam 8820")
