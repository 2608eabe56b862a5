"""A questionnaire keeps every answer through a network cut and a reload (quality target R3), in a
real browser: Chromium against uvicorn (see conftest.py), the page taken offline with Playwright.

The patient's session is created server side and its cookie handed to the browser (as in
test_note_autosave_browser.py)."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from ipt.measures.actions import assign_instrument, start_response
from ipt.measures.models import QuestionnaireResponse
from ipt.measures.tests.test_administrations import new_course
from ipt.tests.conftest import signed_in_context
from ipt.tests.test_browser import csp_violations, watch_console

pytestmark = pytest.mark.browser

# PHQ-9 answer values: "Not at all" 0, "Several days" 1, "More than half the days" 2.
ONLINE_ANSWERS = {1: "Several days", 2: "More than half the days", 3: "Not at all"}
OFFLINE_ANSWERS = {4: "Several days", 5: "More than half the days", 6: "Not at all"}
VALUES = {"Not at all": 0, "Several days": 1, "More than half the days": 2}


def question(page: Page, number: int):
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


@pytest.fixture
def questionnaire(personas, new_context, asgi_live_server):
    """(context, page URL, response) for a PHQ-9 the patient has just started."""
    course = new_course(personas)
    assignment = assign_instrument(
        actor=personas.therapist, course=course, instrument="phq9", schedule="before_every_session"
    )
    response = start_response(actor=personas.patient, assignment=assignment)
    context = signed_in_context(new_context, asgi_live_server.url, personas.patient)
    return context, f"/my/questionnaires/{response.pk}/", response


def stored_answers(response) -> list:
    return list(QuestionnaireResponse.objects.get(pk=response.pk).answers or [])


def local_copy(page, response) -> str | None:
    """The copy kept on the device (draft-store.js keys it by the signed-in user, then the response)."""
    key = f"'ipt-draft:' + document.body.dataset.draftUser + ':questionnaire:{response.pk}'"
    return page.evaluate(f"localStorage.getItem({key})")


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def expected(answers: dict[int, str]) -> list:
    values = [None] * 10
    for number, label in answers.items():
        values[number - 1] = VALUES[label]
    return values


def test_answers_chosen_offline_are_there_after_going_online_and_reloading(questionnaire):
    context, url, response = questionnaire
    page = context.new_page()
    logged = watch_console(page)
    page.goto(url)
    status = page.locator("#questionnaire-save-status")

    for number, label in ONLINE_ANSWERS.items():
        question(page, number).get_by_text(label, exact=True).click()
    expect(status).to_have_text("Saved: 3 of 10 answered.")
    assert wait_for(lambda: stored_answers(response) == expected(ONLINE_ANSWERS))

    context.set_offline(True)
    for number, label in OFFLINE_ANSWERS.items():
        question(page, number).get_by_text(label, exact=True).click()
    expect(status).to_contain_text("no connection")
    assert stored_answers(response) == expected(ONLINE_ANSWERS)  # nothing reached the server
    copy = local_copy(page, response)  # kept on the device, every answer chosen so far
    assert copy is not None and all(f'"q{number}"' in copy for number in range(1, 7))

    context.set_offline(False)
    page.reload()

    everything = {**ONLINE_ANSWERS, **OFFLINE_ANSWERS}
    for number, label in everything.items():
        expect(question(page, number).get_by_label(label, exact=True)).to_be_checked()
    for number in range(7, 11):
        expect(question(page, number).locator("input:checked")).to_have_count(0)
    assert wait_for(lambda: stored_answers(response) == expected(everything))
    # "Saved: …" when this page sent them; without it when the old page's "online" save landed
    # before the reload (then the server sent the page with all six and there was nothing to send).
    expect(status).to_have_text(re.compile(r"^(Saved: )?6 of 10 answered\.$"), timeout=15_000)
    # The server has it all: nothing is left on the device.
    assert wait_for(lambda: local_copy(page, response) is None), (
        f"kept {local_copy(page, response)} at {page.evaluate('Date.now()')}; server {stored_answers(response)}"
    )
    assert csp_violations(logged) == []


def test_answers_chosen_offline_are_saved_when_the_connection_comes_back_without_a_reload(questionnaire):
    context, url, response = questionnaire
    page = context.new_page()
    page.goto(url)
    status = page.locator("#questionnaire-save-status")
    question(page, 1).get_by_text("Several days", exact=True).click()
    expect(status).to_have_text("Saved: 1 of 10 answered.")

    context.set_offline(True)
    question(page, 2).get_by_text("More than half the days", exact=True).click()
    question(page, 1).get_by_text("Not at all", exact=True).click()  # a changed answer, offline too
    expect(status).to_contain_text("no connection")
    context.set_offline(False)  # the browser's "online" event sends what is on the device

    changed = {1: "Not at all", 2: "More than half the days"}
    assert wait_for(lambda: stored_answers(response) == expected(changed), seconds=15)
    expect(status).to_have_text("Saved: 2 of 10 answered.", timeout=15_000)
    assert wait_for(lambda: local_copy(page, response) is None)


def test_answers_chosen_offline_survive_closing_the_page_and_are_sent_with_the_questionnaire(questionnaire):
    context, url, response = questionnaire
    page = context.new_page()
    page.goto(url)

    context.set_offline(True)
    for number in range(1, 10):
        question(page, number).get_by_text("Not at all", exact=True).click()
    question(page, 10).get_by_text("Not difficult at all", exact=True).click()
    expect(page.locator("#questionnaire-save-status")).to_contain_text("no connection")
    page.close()
    # Checked before the network is back: a page that Chromium has not quite torn down may still
    # send its queued answers when it sees "online", which is what the answers are kept for.
    assert stored_answers(response) in ([], [None] * 10)
    context.set_offline(False)

    reopened = context.new_page()
    reopened.goto(url)
    expect(reopened.locator("#questionnaire-save-status")).to_have_text(
        "Saved: 10 of 10 answered.", timeout=15_000
    )
    reopened.get_by_role("button", name="Send my answers").click()

    expect(reopened.get_by_role("heading", name="Thank you")).to_be_visible()
    stored = QuestionnaireResponse.objects.get(pk=response.pk)
    assert stored.total == 0 and stored.answers[:9] == [0] * 9
    assert wait_for(lambda: local_copy(reopened, response) is None)  # sent: nothing kept on the device
