"""Sessions and the IPT session note: numbering, autosave, signing, locking and addenda."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.benchmarking.page_queries import uncached_page_queries
from ipt.care.models import CourseStatus, HomeworkTask
from ipt.visits import actions
from ipt.visits.models import Addendum, Encounter, NoteStatus, SessionNote
from ipt.visits.tests.conftest import (
    SUMMARY_MARKER,
    make_course,
    note_form,
    note_url,
    start_session,
)


def test_the_therapist_starts_a_session_and_gets_the_next_number_in_the_courses_phase(
    personas, course, client_for
):
    therapist = client_for("therapist")
    url = reverse("course_sessions", args=[course.pk])

    first = therapist.post(url, {"number": "1"})
    second = therapist.post(url, {"number": "2"})

    encounters = list(Encounter.objects.filter(course=course))
    assert [e.number for e in encounters] == [1, 2]
    assert all(e.phase == CourseStatus.MIDDLE and e.created_by == personas.therapist for e in encounters)
    assert all(SessionNote.objects.get(encounter=e).status == NoteStatus.DRAFT for e in encounters)
    assert first.status_code == 302 and first["Location"] == note_url("session_note", encounters[0])
    assert second["Location"] == note_url("session_note", encounters[1])
    page = therapist.get(url)
    assert page.status_code == 200
    assert "Session 1" in page.text and "Session 2" in page.text and "Middle phase" in page.text
    assert "Draft" in page.text


@pytest.mark.parametrize("status", [CourseStatus.INTAKE, CourseStatus.COMPLETED, CourseStatus.DISCONTINUED])
def test_no_session_can_be_started_before_the_initial_phase_or_after_the_course_ended(
    personas, client_for, status
):
    course = make_course(personas.care_team, status=status)

    response = client_for("therapist").post(reverse("course_sessions", args=[course.pk]), {"number": "1"})

    assert response.status_code == 400
    assert "initial phase" in response.text or "no new sessions" in response.text
    assert not Encounter.objects.filter(course=course).exists()


def test_a_session_number_taken_at_the_same_moment_is_counted_again_never_duplicated(
    personas, course, monkeypatch
):
    start_session(course, personas.therapist)
    counted = iter([1, 2])  # the first count is stale: number 1 was just taken
    monkeypatch.setattr(actions, "next_session_number", lambda _course: next(counted))

    encounter = actions.create_encounter(actor=personas.therapist, course=course)

    assert encounter.number == 2
    assert sorted(Encounter.objects.filter(course=course).values_list("number", flat=True)) == [1, 2]


def test_when_the_number_stays_taken_the_therapist_is_asked_to_try_again(personas, course, monkeypatch):
    start_session(course, personas.therapist)
    monkeypatch.setattr(actions, "next_session_number", lambda _course: 1)

    with pytest.raises(ValidationError, match="same moment"):
        actions.create_encounter(actor=personas.therapist, course=course)
    assert Encounter.objects.filter(course=course).count() == 1
    assert SessionNote.objects.filter(encounter__course=course).count() == 1


def test_autosave_stores_the_draft_and_the_reloaded_page_shows_it(personas, course, client_for):
    encounter, note = start_session(course, personas.therapist)
    therapist = client_for("therapist")
    before = note.draft_saved_at

    response = therapist.post(
        note_url("session_note_autosave", encounter),
        note_form(encounter, mood_since_last="Typed a moment ago 7781", work_at_home="Call Sam"),
    )

    assert response.status_code == 200
    assert "Saved" in response.text
    note.refresh_from_db()
    assert note.mood_since_last == "Typed a moment ago 7781"
    assert note.mood_rating == 6
    assert note.techniques == ["communication_analysis", "role_play"]
    assert [p.name for p in note.people.all()] == ["Sam"]
    assert note.problem_area_focus == course.problem_areas.get()
    assert note.status == NoteStatus.DRAFT and note.draft_saved_at > before
    assert response["X-Draft-Saved-At"] == note.draft_saved_at.isoformat()
    assert not HomeworkTask.objects.exists()  # to-dos are made when the note is signed
    page = therapist.get(note_url("session_note", encounter))
    assert "Typed a moment ago 7781" in page.text
    assert 'hx-post="' + note_url("session_note_autosave", encounter) in page.text
    assert 'hx-trigger="input changed delay:800ms, change"' in page.text
    assert f'data-draft-saved-at="{note.draft_saved_at.isoformat()}"' in page.text


def test_the_save_draft_button_without_javascript_saves_the_draft_too(personas, course, client_for):
    encounter, note = start_session(course, personas.therapist)

    response = client_for("therapist").post(
        note_url("session_note", encounter), note_form(encounter, plan="Plan B")
    )

    assert response.status_code == 302
    note.refresh_from_db()
    assert note.plan == "Plan B" and note.status == NoteStatus.DRAFT


def test_autosave_refuses_a_mood_of_11_says_why_and_saves_nothing(personas, course, client_for):
    encounter, note = start_session(course, personas.therapist)
    therapist = client_for("therapist")
    therapist.post(note_url("session_note_autosave", encounter), note_form(encounter, plan="Saved plan"))
    note.refresh_from_db()
    saved_at = note.draft_saved_at

    response = therapist.post(
        note_url("session_note_autosave", encounter),
        note_form(encounter, mood_rating="11", plan="Changed plan"),
    )

    assert response.status_code == 400
    assert "Mood rating is from 0 (worst) to 10 (best)." in response.text
    note.refresh_from_db()
    assert note.plan == "Saved plan" and note.mood_rating == 6 and note.draft_saved_at == saved_at


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mood_rating", "-1", "Mood rating is from 0"),
        ("mood_rating", "six", "whole number"),
        ("risk_level", "extreme", "Select a valid choice"),
        ("techniques", "hypnosis", "Select a valid choice"),
        ("initial_tasks", "probe", "Select a valid choice"),
        ("people", "not-a-uuid", "valid"),
        ("problem_area_focus", "00000000-0000-0000-0000-000000000000", "Select a valid choice"),
        ("work_at_home", "\n".join(f"task {n}" for n in range(25)), "at most 20 tasks"),
        ("plan", "x" * 20_001, "at most 20000 characters"),
        ("plan", "nul\x00byte", "Null characters"),
    ],
)
def test_bad_note_input_is_refused_with_a_message_and_nothing_changes(
    personas, course, client_for, field, value, message
):
    encounter, note = start_session(course, personas.therapist)
    therapist = client_for("therapist")

    for name in ("session_note_autosave", "session_note", "session_note_sign"):
        response = therapist.post(note_url(name, encounter), note_form(encounter, **{field: value}))
        assert response.status_code == 400, name
        assert message in response.text, name

    note.refresh_from_db()
    assert note.mood_since_last == "" and note.status == NoteStatus.DRAFT
    assert not HomeworkTask.objects.exists()


def test_people_and_problem_areas_of_another_course_cannot_be_linked(
    personas, course, other_course, client_for
):
    encounter, note = start_session(course, personas.therapist)
    theirs = note_form(start_session(other_course, personas.other_therapist)[0])

    response = client_for("therapist").post(
        note_url("session_note_autosave", encounter),
        note_form(encounter, people=theirs["people"], problem_area_focus=theirs["problem_area_focus"]),
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not note.people.exists()


def test_signing_needs_mood_summary_and_risk_level_and_says_which_are_missing(personas, course, client_for):
    encounter, note = start_session(course, personas.therapist)

    response = client_for("therapist").post(
        note_url("session_note_sign", encounter),
        note_form(encounter, mood_since_last="", shared_summary="  ", risk_level=""),
    )

    assert response.status_code == 400
    assert (
        "To sign the note, fill in: mood since last session, shared summary for the patient, risk level."
        in response.text
    )
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT and note.signed_at is None
    assert note.plan == ""  # the refused signature saved nothing either
    assert 'data-posted="true"' in response.text  # the page's script saves what was typed as a draft


def test_signing_locks_the_note_and_later_saves_change_nothing(personas, course, client_for):
    encounter, note = start_session(course, personas.therapist)
    therapist = client_for("therapist")

    signed = therapist.post(note_url("session_note_sign", encounter), note_form(encounter))

    assert signed.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert note.signed_by == personas.therapist and note.signed_at is not None
    assert note.shared_summary == SUMMARY_MARKER
    later = note_form(encounter, plan="Rewritten afterwards", shared_summary="Rewritten summary")
    autosave = therapist.post(note_url("session_note_autosave", encounter), later)
    assert autosave.status_code == 409
    assert "This note is signed and can no longer be changed" in autosave.text
    assert therapist.post(note_url("session_note", encounter), later).status_code == 409
    assert therapist.post(note_url("session_note_sign", encounter), later).status_code == 409
    with pytest.raises(actions.NoteLocked):
        actions.autosave_note(actor=personas.therapist, note=note, data={"plan": "Sneaky"})
    note.refresh_from_db()
    assert note.plan == "Continue role dispute work." and note.shared_summary == SUMMARY_MARKER
    assert HomeworkTask.objects.filter(agreed_in=note).count() == 2  # not created twice
    page = therapist.get(note_url("session_note", encounter))
    assert 'id="note-form"' not in page.text
    assert "Signed" in page.text and "Continue role dispute work." in page.text
    assert "Communication analysis, Role-play" in page.text


def test_addenda_are_kept_under_the_signed_note_with_author_and_time(personas, course, client_for):
    encounter, note = start_session(course, personas.therapist)
    therapist = client_for("therapist")
    therapist.post(note_url("session_note_sign", encounter), note_form(encounter))

    first = therapist.post(
        note_url("session_note_addendum", encounter), {"text": "Correction: argument was Wednesday."}
    )
    therapist.post(note_url("session_note_addendum", encounter), {"text": "Patient emailed: feeling better."})

    assert first.status_code == 302
    assert [a.text for a in Addendum.objects.filter(note=note)] == [
        "Correction: argument was Wednesday.",
        "Patient emailed: feeling better.",
    ]
    assert all(a.written_by == personas.therapist for a in note.addenda.all())
    note.refresh_from_db()
    assert note.mood_since_last == "A bit better; argued with Sam on Tuesday."
    page = therapist.get(note_url("session_note", encounter))
    assert "Correction: argument was Wednesday." in page.text and "Thea Rapist" in page.text


def test_an_empty_addendum_or_one_on_a_draft_is_refused(personas, course, client_for):
    encounter, _note = start_session(course, personas.therapist)
    therapist = client_for("therapist")

    on_draft = therapist.post(note_url("session_note_addendum", encounter), {"text": "Too early"})
    therapist.post(note_url("session_note_sign", encounter), note_form(encounter))
    empty = therapist.post(note_url("session_note_addendum", encounter), {"text": "   "})

    assert on_draft.status_code == 409 and "still a draft" in on_draft.text
    assert empty.status_code == 400 and "Write the addendum." in empty.text
    assert not Addendum.objects.exists()


def test_every_write_is_audited_without_clinical_text(personas, course, client_for):
    therapist = client_for("therapist")
    therapist.post(reverse("course_sessions", args=[course.pk]), {"number": "1"})
    encounter = Encounter.objects.get(course=course)
    therapist.post(note_url("session_note_autosave", encounter), note_form(encounter))
    therapist.get(note_url("session_note", encounter))
    therapist.post(note_url("session_note_sign", encounter), note_form(encounter))
    therapist.post(note_url("session_note_addendum", encounter), {"text": "Addendum text 5521"})

    events = AuditEvent.objects.filter(patient=personas.patient)
    actions_seen = list(events.values_list("action", flat=True))
    for action in (
        "encounter.create",
        "session_note.autosave",
        "session_note.read",
        "session_note.sign",
        "session_note.addendum",
    ):
        assert action in actions_seen
    assert events.get(action="session_note.sign").detail == {"homework_tasks": 2}
    details = " ".join(str(detail) for detail in events.values_list("detail", flat=True))
    assert "Sam" not in details and "Addendum text" not in details and "MARKER" not in details


def test_the_sessions_and_note_pages_cost_the_same_queries_with_more_sessions(personas, course, client_for):
    therapist = client_for("therapist")

    def queries(url: str) -> int:
        response, sql = uncached_page_queries(therapist, url)
        assert response.status_code == 200
        return len(sql)

    first, _ = start_session(course, personas.therapist)
    therapist.post(note_url("session_note_sign", first), note_form(first))
    sessions_url = reverse("course_sessions", args=[course.pk])
    few = queries(sessions_url), queries(note_url("session_note", first))
    for _ in range(5):
        encounter, _ = start_session(course, personas.therapist)
        therapist.post(note_url("session_note_sign", encounter), note_form(encounter))

    assert (queries(sessions_url), queries(note_url("session_note", first))) == few
    assert max(few) <= 25


def test_a_second_click_or_a_post_without_the_number_starts_no_second_session(personas, course, client_for):
    therapist = client_for("therapist")
    url = reverse("course_sessions", args=[course.pk])

    first = therapist.post(url, {"number": "1"})
    again = therapist.post(url, {"number": "1"})
    junk = therapist.post(url, {"probe": "junk"})
    ahead = therapist.post(url, {"number": "7"})

    assert first.status_code == 302
    assert again.status_code == 400
    assert "Session 1 has already been started (perhaps by a second click" in again.text
    assert junk.status_code == 400 and "Reload the page and start the session again." in junk.text
    assert ahead.status_code == 400 and "The next session is number 2." in ahead.text
    assert Encounter.objects.filter(course=course).count() == 1


def test_a_page_loaded_before_the_draft_changed_cannot_overwrite_it(personas, course, client_for):
    encounter, note = start_session(course, personas.therapist)
    therapist = client_for("therapist")
    stale = note_form(encounter, plan="Typed in an old window")
    newer = therapist.post(
        note_url("session_note_autosave", encounter), note_form(encounter, plan="Newer plan")
    )
    assert newer.status_code == 200

    refused = [
        therapist.post(note_url(name, encounter), stale)
        for name in ("session_note_autosave", "session_note", "session_note_sign")
    ]

    assert [r.status_code for r in refused] == [409, 409, 409]
    assert all("changed in another window or on another device" in r.text for r in refused)
    assert "Typed in an old window" in refused[1].text  # shown again so it can be copied
    assert 'data-conflict="true"' in refused[1].text
    note.refresh_from_db()
    assert note.plan == "Newer plan" and note.status == NoteStatus.DRAFT


def test_a_save_sent_twice_is_accepted_without_writing_again(personas, course, client_for):
    encounter, _note = start_session(course, personas.therapist)
    therapist = client_for("therapist")
    same = note_form(encounter, plan="Sent twice")

    first = therapist.post(note_url("session_note_autosave", encounter), same)
    second = therapist.post(note_url("session_note_autosave", encounter), same)  # its version is now old

    assert first.status_code == second.status_code == 200
    assert first["X-Draft-Saved-At"] == second["X-Draft-Saved-At"]
    assert AuditEvent.objects.filter(action="session_note.autosave").count() == 1


def test_a_post_without_the_draft_version_is_not_the_note_form_and_changes_nothing(
    personas, course, client_for
):
    encounter, note = start_session(course, personas.therapist)
    therapist = client_for("therapist")
    therapist.post(note_url("session_note_autosave", encounter), note_form(encounter))
    note.refresh_from_db()
    kept = (note.plan, note.draft_saved_at)

    for name in ("session_note_autosave", "session_note", "session_note_sign"):
        for data in ({"probe": "junk"}, note_form(encounter, draft_version="yesterday")):
            response = therapist.post(note_url(name, encounter), data)
            assert response.status_code == 400, name
            assert "reload the note" in response.text

    note.refresh_from_db()
    assert (note.plan, note.draft_saved_at) == kept
