"""Drafts of the diary entry, the safety plan and the formulation survive a reload and a network cut
(quality target R3), in a real browser: Chromium against uvicorn (see conftest.py), the network cut
with Playwright's ``context.set_offline``. The forms are plain POST forms; static/js/draft-store.js
keeps what is typed on the device, keyed by the signed-in user, until a save succeeds.

Each person's session is created server side and its cookie handed to the browser (as in
test_note_autosave_browser.py), so no TOTP code is spent.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from ipt.care.models import Formulation, TreatmentCourse
from ipt.practice.models import DiaryEntry
from ipt.safety.models import SafetyPlanVersion
from ipt.tests.conftest import signed_in_context, use_session_of
from ipt.tests.test_browser import csp_violations, watch_console
from ipt.visits.tests.conftest import make_course

pytestmark = pytest.mark.browser

OFFLINE_NOTICE = "Not saved: no connection. What you typed is kept on this device"
RESTORED_NOTICE = "Put back what you typed on this device that has not been saved yet."


def diary_mood(page: Page):
    return page.locator("input[name=mood][value='7']")


@dataclass(frozen=True)
class DraftForm:
    """One form that keeps a draft: who writes it, where, how to type into it, what the server holds."""

    name: str
    persona: str
    path: Callable[[TreatmentCourse], str]
    fields: tuple[str, ...]  # labels of the text fields typed into
    save_button: str
    saved: Callable[[TreatmentCourse], str | None]  # the first field's text on the server, if any
    extra: Callable[[Page], None] | None = None  # anything else the form needs (the diary's mood)

    def type_into(self, page: Page, text: str) -> None:
        if self.extra:
            self.extra(page)
        for number, label in enumerate(self.fields):
            page.get_by_label(label, exact=True).fill(f"{text} ({number})")

    def expect_typed(self, page: Page, text: str) -> None:
        for number, label in enumerate(self.fields):
            expect(page.get_by_label(label, exact=True)).to_have_value(f"{text} ({number})")
        if self.extra:
            expect(diary_mood(page)).to_be_checked()


def _diary_note(course) -> str | None:
    entry = DiaryEntry.objects.filter(course=course).first()
    return entry.note if entry else None


def _safety_plan(course) -> str | None:
    plan = SafetyPlanVersion.objects.filter(course=course).order_by("-version").first()
    return plan.warning_signs if plan else None


def _formulation(course) -> str | None:
    formulation = Formulation.objects.filter(course=course).order_by("-version").first()
    return formulation.clinical_text if formulation else None


def _choose_mood(page: Page) -> None:
    page.locator("label[for]", has=diary_mood(page)).click()


FORMS = [
    DraftForm(
        name="diary",
        persona="patient",
        path=lambda course: "/my/diary/",
        fields=("Anything else about today? (optional)",),
        save_button="Save today",
        saved=_diary_note,
        extra=_choose_mood,
    ),
    DraftForm(
        name="safety-plan",
        persona="patient",
        path=lambda course: "/my/safety-plan/",
        fields=("My warning signs", "Things I can do on my own"),
        save_button="Save safety plan",
        saved=_safety_plan,
    ),
    DraftForm(
        name="formulation",
        persona="therapist",
        path=lambda course: f"/courses/{course.pk}/formulation/",
        fields=("Interpersonal formulation (clinical)", "The same in plain words, for the patient"),
        save_button="Save draft",
        saved=_formulation,
    ),
]


def draft_keys(page: Page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('ipt-draft:')).sort()")


def only_copy(page: Page, user, draft: DraftForm) -> str | None:
    """The one copy this user keeps for this form (the diary's record is the course's local day)."""
    prefix = f"ipt-draft:{user.pk}:{draft.name}:"
    keys = [key for key in draft_keys(page) if key.startswith(prefix)]
    assert len(keys) <= 1, keys
    return page.evaluate(f"localStorage.getItem('{keys[0]}')") if keys else None


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def course(personas):
    return make_course(personas.care_team)


@pytest.mark.parametrize("draft", FORMS, ids=[form.name for form in FORMS])
def test_what_is_typed_is_back_after_a_reload_and_nothing_is_saved_until_asked(
    draft, personas, course, new_context, asgi_live_server
):
    user = getattr(personas, draft.persona)
    page = signed_in_context(new_context, asgi_live_server.url, user).new_page()
    logged = watch_console(page)
    page.goto(draft.path(course))

    draft.type_into(page, f"Typed before a reload 5120 {draft.name}")
    copy = only_copy(page, user, draft)
    assert copy is not None and "Typed before a reload 5120" in copy
    page.reload()

    draft.expect_typed(page, f"Typed before a reload 5120 {draft.name}")
    expect(page.locator("[data-draft-status]")).to_contain_text(RESTORED_NOTICE)
    assert draft.saved(course) is None
    assert csp_violations(logged) == []


@pytest.mark.parametrize("draft", FORMS, ids=[form.name for form in FORMS])
def test_a_submit_with_no_connection_keeps_the_text_on_the_page_and_saves_it_once_back_online(
    draft, personas, course, new_context, asgi_live_server
):
    user = getattr(personas, draft.persona)
    context = signed_in_context(new_context, asgi_live_server.url, user)
    page = context.new_page()
    logged = watch_console(page)
    page.goto(draft.path(course))
    text = f"Typed then sent offline 7731 {draft.name}"
    draft.type_into(page, text)

    context.set_offline(True)
    page.get_by_role("button", name=draft.save_button).click()

    expect(page.locator("[data-draft-status]")).to_contain_text(OFFLINE_NOTICE)
    assert page.url == asgi_live_server.url + draft.path(course)  # still on the form, not an error page
    draft.expect_typed(page, text)
    assert text in (only_copy(page, user, draft) or "")
    assert draft.saved(course) is None

    context.set_offline(False)
    page.get_by_role("button", name=draft.save_button).click()

    expect(page.locator(".messages .message.success")).to_be_visible()
    assert wait_for(lambda: draft.saved(course) == f"{text} (0)")
    assert wait_for(lambda: only_copy(page, user, draft) is None)  # saved: nothing kept on the device
    page.reload()
    expect(page.locator("[data-draft-status]")).to_have_text("")  # nothing put back
    assert csp_violations(logged) == []


def test_a_refused_diary_entry_is_kept_on_the_device_and_is_back_after_a_reload(
    personas, course, new_context, asgi_live_server
):
    page = signed_in_context(new_context, asgi_live_server.url, personas.patient).new_page()
    page.goto("/my/diary/")
    note = page.get_by_label("Anything else about today? (optional)", exact=True)
    note.fill("No mood chosen 6604")

    page.get_by_role("button", name="Save today").click()  # refused: the mood is required

    expect(page.get_by_text("Choose your mood, from 0 to 10.")).to_be_visible()
    assert DiaryEntry.objects.filter(course=course).count() == 0
    page.goto("/my/diary/")  # a fresh GET: the server has nothing
    expect(note).to_have_value("No mood chosen 6604")
    assert "No mood chosen 6604" in (only_copy(page, personas.patient, FORMS[0]) or "")


def test_a_draft_is_kept_for_its_own_user_only_and_signing_out_forgets_it(
    personas, course, new_context, asgi_live_server
):
    """Patient and therapist both edit the safety plan. On one shared browser, the patient's unsaved
    draft is never put into the therapist's form; the patient's own "Sign out" forgets it."""
    url = asgi_live_server.url
    context = signed_in_context(new_context, url, personas.patient)
    page = context.new_page()
    page.goto("/my/safety-plan/")
    page.get_by_label("My warning signs", exact=True).fill("Patient's own words 9182")
    assert draft_keys(page) == [f"ipt-draft:{personas.patient.pk}:safety-plan:{course.pk}"]

    use_session_of(context, url, personas.therapist)
    page.goto(f"/courses/{course.pk}/safety-plan/")

    expect(page.get_by_label("My warning signs", exact=True)).to_have_value("")
    expect(page.locator("[data-draft-status]")).to_have_text("")
    assert "Patient's own words 9182" not in page.content()
    assert draft_keys(page) == [f"ipt-draft:{personas.patient.pk}:safety-plan:{course.pk}"]

    use_session_of(context, url, personas.patient)
    page.goto("/my/safety-plan/")
    expect(page.get_by_label("My warning signs", exact=True)).to_have_value("Patient's own words 9182")
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/login/"))
    assert wait_for(lambda: draft_keys(page) == [])
    assert SafetyPlanVersion.objects.filter(course=course).count() == 0


def test_a_sign_out_that_fails_offline_keeps_the_draft(personas, course, new_context, asgi_live_server):
    context = signed_in_context(new_context, asgi_live_server.url, personas.patient)
    page = context.new_page()
    page.goto("/my/safety-plan/")
    page.get_by_label("My warning signs", exact=True).fill("Typed before a failed sign-out 3350")

    context.set_offline(True)
    page.get_by_role("button", name="Sign out").click()  # the browser shows its own error page
    context.set_offline(False)
    page.goto("/my/safety-plan/")  # still signed in

    expect(page.get_by_label("My warning signs", exact=True)).to_have_value(
        "Typed before a failed sign-out 3350"
    )
    assert len(draft_keys(page)) == 1


def test_a_draft_kept_under_the_old_key_is_taken_over_by_the_user_who_opens_the_note(
    personas, new_context, asgi_live_server
):
    """Copies the note script kept before draft-store.js (key without the user) are not lost."""
    from ipt.visits import actions
    from ipt.visits.models import SessionNote
    from ipt.visits.tests.conftest import note_url

    course = make_course(personas.care_team)
    encounter = actions.create_encounter(actor=personas.therapist, course=course)
    note = encounter.note
    context = signed_in_context(new_context, asgi_live_server.url, personas.therapist)
    page = context.new_page()
    page.goto(note_url("session_note", encounter))
    page.evaluate(
        "([key, copy]) => localStorage.setItem(key, copy)",
        [
            f"ipt-note-draft:{note.pk}",
            '{"base": "", "typedAt": '
            + str(int(time.time() * 1000))
            + ', "fields": {"plan": ["Old key 4410"]}}',
        ],
    )
    page.reload()

    expect(page.get_by_label("Plan")).to_have_value("Old key 4410")
    assert wait_for(lambda: SessionNote.objects.get(pk=note.pk).plan == "Old key 4410")
    assert page.evaluate(f"localStorage.getItem('ipt-note-draft:{note.pk}')") is None


def test_a_submit_after_the_session_ended_keeps_the_text_and_says_to_sign_in_again(
    personas, course, new_context, asgi_live_server
):
    from ipt.accounts.models import Session

    context = signed_in_context(new_context, asgi_live_server.url, personas.therapist)
    page = context.new_page()
    page.goto(f"/courses/{course.pk}/formulation/")
    page.get_by_label("Interpersonal formulation (clinical)", exact=True).fill(
        "Typed as the session ended 2291"
    )
    Session.objects.all().delete()  # signed out on the server (idle logoff, or signed out elsewhere)

    page.get_by_role("button", name="Save draft").click()

    expect(page.locator("[data-draft-status]")).to_contain_text("Not saved: you have been signed out.")
    assert page.url == f"{asgi_live_server.url}/courses/{course.pk}/formulation/"
    expect(page.get_by_label("Interpersonal formulation (clinical)", exact=True)).to_have_value(
        "Typed as the session ended 2291"
    )
    assert "Typed as the session ended 2291" in (only_copy(page, personas.therapist, FORMS[2]) or "")
    assert Formulation.objects.filter(course=course).count() == 0


def test_a_past_day_saved_after_a_network_cut_leaves_no_copy_once_the_diary_says_saved(
    personas, course, new_context, asgi_live_server
):
    """A past day's form sends the patient back to the diary's front page once saved: the copy of
    that day, a page the patient does not see again, is forgotten on the page with the message."""
    from datetime import timedelta

    from ipt.practice.diary_actions import today

    yesterday = (today(course) - timedelta(days=1)).isoformat()
    context = signed_in_context(new_context, asgi_live_server.url, personas.patient)
    page = context.new_page()
    page.goto(f"/my/diary/{yesterday}/")
    _choose_mood(page)
    page.get_by_label("Anything else about today? (optional)", exact=True).fill(
        "Yesterday, typed offline 5817"
    )
    key = f"ipt-draft:{personas.patient.pk}:diary:{yesterday}"

    context.set_offline(True)
    page.get_by_role("button", name="Save this day").click()
    expect(page.locator("[data-draft-status]")).to_contain_text(OFFLINE_NOTICE)
    context.set_offline(False)
    page.get_by_role("button", name="Save this day").click()

    expect(page).to_have_url(re.compile(r"/my/diary/$"))
    expect(page.locator(".messages .message.success")).to_be_visible()
    assert DiaryEntry.objects.get(course=course).note == "Yesterday, typed offline 5817"
    assert wait_for(lambda: page.evaluate(f"localStorage.getItem('{key}')") is None)
