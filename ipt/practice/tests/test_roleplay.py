"""Role-play practice: replies that follow the communication style, swapped roles, per-turn
feedback, stored transcripts for the therapist, permissions and refusals."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.models import InventoryPerson, Relation
from ipt.practice import roleplay
from ipt.practice.communication import analyse
from ipt.practice.models import RolePlayScenario, RolePlaySession, RolePlayTurn
from ipt.practice.roleplay_actions import create_scenario, start_session, swap_roles, take_turn
from ipt.practice.roleplay_generic import MODEL_LINES
from ipt.visits.tests.conftest import make_course

BLAME = "You never help with anything. You are so lazy."
GOOD = "I feel exhausted when I cook every weekday evening. Could you cook on Tuesdays and Thursdays?"
WITHDRAW = "Whatever, forget it."
HINT = "It would be nice if someone cleared up sometimes."
SECRET_LINE = "About SECRET-ROLEPLAY-LINE: I feel lonely. Could you call me on Sunday?"
SLUG = "partner-share-the-load"
STAFF_READERS = ["therapist", "supervisor"]


@pytest.fixture
def course(personas):
    return make_course(personas.care_team)


@pytest.fixture
def other_course(personas):
    return make_course(personas.other_care_team)


def start(personas, course, plays="self", slug=SLUG):
    return start_session(actor=personas.patient, course=course, scenario_slug=slug, patient_plays=plays)


def test_every_problem_area_has_a_library_scenario_with_an_opening_and_every_reply_bank():
    assert {s.problem_area for s in roleplay.LIBRARY} == set(roleplay.PROBLEM_AREAS)
    for scenario in roleplay.LIBRARY:
        assert scenario.opening and scenario.character and scenario.model_lines
        assert all(scenario.replies[stance] for stance in roleplay.STANCES)


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        (BLAME, "defensive"),
        (WITHDRAW, "confused"),
        (HINT, "missing"),
        (GOOD, "agrees"),
        ("Hello.", "neutral"),
    ],
)
def test_the_other_persons_stance_follows_the_analysers_features(text, stance):
    assert roleplay.stance_for(analyse(text).features) == stance


def test_the_app_playing_the_patient_models_good_communication_without_problems():
    generic_lines = [line.format(name="Robin") for lines in MODEL_LINES.values() for line in lines]
    for line in [line for scenario in roleplay.LIBRARY for line in scenario.model_lines] + generic_lines:
        assert not analyse(line).features & set(
            (
                "blame_you_accusation",
                "generalisation",
                "insult_sarcasm",
                "hint",
                "withdrawal",
                "unstated_expectation",
            )
        ), line


def test_the_same_scenario_gets_a_defensive_reply_to_blame_and_an_open_concrete_one_to_an_i_statement_and_request(
    personas, course
):
    blamed = take_turn(actor=personas.patient, session=start(personas, course), text=BLAME)
    asked = take_turn(actor=personas.patient, session=start(personas, course), text=GOOD)
    scenario = roleplay.library_scenario(SLUG)
    assert blamed.reply.feedback["stance"] == "defensive"
    assert blamed.reply.text in scenario.replies["defensive"]
    assert asked.reply.feedback["stance"] == "agrees"
    assert asked.reply.text in scenario.replies["agrees"]
    assert blamed.reply.text != asked.reply.text


def test_replies_are_deterministic_for_the_same_session_and_turn(personas, course):
    session = start(personas, course)
    scenario = roleplay.library_scenario(SLUG)
    first = roleplay.reply(scenario, analyse(BLAME), seed=str(session.pk), number=2)
    again = roleplay.reply(scenario, analyse(BLAME), seed=str(session.pk), number=2)
    assert first == again


def test_the_transcript_is_stored_with_features_and_feedback_for_each_patient_turn(personas, course):
    session = start(personas, course)
    take_turn(actor=personas.patient, session=session, text=BLAME)
    take_turn(actor=personas.patient, session=session, text=GOOD)
    turns = list(session.turns.all())
    assert [t.speaker for t in turns] == ["other", "patient", "other", "patient", "other"]
    assert [t.number for t in turns] == [1, 2, 3, 4, 5]
    assert {"blame_you_accusation", "generalisation"} <= set(turns[1].features)
    assert turns[1].feedback["suggestions"]
    assert {"i_statement_feeling", "clear_request"} <= set(turns[3].features)
    assert turns[3].feedback["strengths"]
    spans = [span for f in turns[3].feedback["findings"] for span in f["spans"]]
    assert spans and all(0 <= a < b <= len(GOOD) for a, b in spans)


def test_swapping_roles_lets_the_patient_play_the_other_person_while_the_app_models_their_part(
    personas, course
):
    session = start(personas, course)
    session = swap_roles(actor=personas.patient, session=session)
    assert session.patient_plays == "other"
    scenario = roleplay.library_scenario(SLUG)
    last = session.turns.order_by("-number").first()
    assert last.speaker == "other" and last.text == scenario.model_lines[0]
    result = take_turn(actor=personas.patient, session=session, text="I work all day too, you know.")
    assert result.mine.feedback["role"] == "other"
    assert result.reply.text == scenario.model_lines[1]
    back = swap_roles(actor=personas.patient, session=session)
    assert back.patient_plays == "self"


def test_a_session_can_start_with_the_roles_swapped(personas, course):
    session = start(personas, course, plays="other")
    assert session.turns.get().text == roleplay.library_scenario(SLUG).model_lines[0]


@pytest.mark.parametrize(
    ("text", "message"), [("   ", "Write what you would say"), ("x" * 1001, "1000 or fewer")]
)
def test_an_empty_or_too_long_turn_is_refused_with_a_clear_message_and_nothing_is_stored(
    personas, course, text, message
):
    session = start(personas, course)
    with pytest.raises(ValidationError, match=message):
        take_turn(actor=personas.patient, session=session, text=text)
    assert session.turns.count() == 1


def test_only_the_patient_can_take_turns(personas, course):
    session = start(personas, course)
    with pytest.raises(PermissionDenied):
        take_turn(actor=personas.therapist, session=session, text=GOOD)
    assert session.turns.count() == 1


def test_an_unknown_library_scenario_is_refused(personas, course):
    with pytest.raises(ValidationError, match="Choose one of the scenarios"):
        start(personas, course, slug="no-such-scenario")
    assert not RolePlaySession.objects.exists()


def scenario_form(person="", **overrides):
    data = {
        "title": "Asking Sam for an evening together",
        "problem_area": "role_dispute",
        "other_person": person,
        "other_name": "",
        "situation": "Sam is on the phone most evenings.",
        "likely_reactions": "Sam says they are tired and changes the subject.",
        "patient_goal": "Ask Sam for one phone-free evening a week.",
    }
    data.update(overrides)
    return data


def test_the_therapist_writes_a_scenario_with_a_person_from_the_inventory_and_the_patient_practises_it(
    personas, course, client_for
):
    sam = course.inventory.get()
    response = client_for("therapist").post(
        reverse("course_roleplay", args=[course.pk]), scenario_form(person=str(sam.pk))
    )
    assert response.status_code == 302
    scenario = RolePlayScenario.objects.get()
    assert scenario.other_person == sam and scenario.created_by == personas.therapist
    patient = client_for("patient")
    page = patient.get(reverse("my_roleplay"))
    assert "Asking Sam for an evening together" in page.content.decode()
    response = patient.post(reverse("my_roleplay"), {"scenario": f"custom:{scenario.pk}", "plays": "self"})
    session = RolePlaySession.objects.get()
    assert response.status_code == 302 and session.scenario == scenario
    patient.post(reverse("my_roleplay_session", args=[session.pk]), {"action": "say", "text": GOOD})
    assert session.turns.filter(speaker="other", feedback__stance="agrees").exists()


@pytest.mark.parametrize("area", list(roleplay.PROBLEM_AREAS))
def test_a_therapists_scenario_speaks_in_its_own_terms_not_the_library_scenarios(area):
    """A scenario about Dad must not answer with the library's "Mum", "Sam" or "the weekly reports"."""
    written = SimpleNamespace(
        pk="4b1d",
        title="Talking to Robin",
        problem_area=area,
        other_person=None,
        other_name="Robin",
        situation="",
        likely_reactions="Goes quiet, then gets cross.",
        patient_goal="Ask for one evening a week.",
    )
    scenario = roleplay.from_model(written)
    library_details = {other.other_name for other in roleplay.LIBRARY} | {
        "Mum",
        "Jo",
        "reports",
        "Tuesdays",
        "Thursdays",
        "café",
        "photos",
        "housework",
        "cooking",
        "birthday",
    }
    lines = [line for bank in scenario.replies.values() for line in bank] + list(scenario.model_lines)
    assert set(scenario.replies) == set(roleplay.STANCES) and all(scenario.replies.values())
    assert not {word.strip(".,!?'") for line in lines for word in line.split()} & library_details
    assert "Robin" in scenario.model_lines[0]
    assert scenario.character == "Goes quiet, then gets cross." and scenario.other_name == "Robin"


def test_a_scenario_with_another_courses_inventory_person_is_refused_and_nothing_is_saved(
    personas, course, other_course, client_for
):
    stranger = other_course.inventory.get()
    response = client_for("therapist").post(
        reverse("course_roleplay", args=[course.pk]), scenario_form(person=str(stranger.pk))
    )
    assert response.status_code == 400
    assert "interpersonal inventory" in response.content.decode()
    with pytest.raises(ValidationError, match="interpersonal inventory"):
        create_scenario(
            actor=personas.therapist, course=course, **{**scenario_form(), "other_person": stranger}
        )
    assert not RolePlayScenario.objects.exists()


def test_a_scenario_without_a_title_or_goal_is_refused_with_clear_messages(personas, course, client_for):
    response = client_for("therapist").post(
        reverse("course_roleplay", args=[course.pk]),
        scenario_form(title="", patient_goal="", other_name="Kim"),
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "short title" in text and "goal" in text
    assert not RolePlayScenario.objects.exists()


@pytest.mark.parametrize("name", ["supervisor", "other_therapist", "admin", "patient", "anonymous"])
def test_only_the_course_therapist_can_write_scenarios(personas, course, client_for, name):
    response = client_for(name).post(
        reverse("course_roleplay", args=[course.pk]), scenario_form(other_name="Kim")
    )
    assert response.status_code in (302, 403, 404)
    if name == "anonymous":
        assert "/login/" in response["Location"]
    assert not RolePlayScenario.objects.exists()


def transcript_with_secret(personas, course):
    session = start(personas, course)
    take_turn(actor=personas.patient, session=session, text=SECRET_LINE)
    return session


@pytest.mark.parametrize(
    ("name", "status"),
    [("therapist", 200), ("supervisor", 200), ("other_therapist", 404), ("admin", 403), ("patient", 403)],
)
def test_the_therapist_and_supervisor_review_transcripts_with_highlighted_features_and_nobody_else(
    personas, course, client_for, name, status
):
    transcript_with_secret(personas, course)
    response = client_for(name).get(reverse("course_roleplay", args=[course.pk]))
    assert response.status_code == status
    text = response.content.decode()
    if status == 200:
        assert "SECRET-ROLEPLAY-LINE" in text
        assert 'class="cf-strength"' in text
        assert "A clear request" in text
        assert AuditEvent.objects.filter(action="practice.roleplay.review", actor=personas.get(name)).exists()
    else:
        assert "SECRET-ROLEPLAY-LINE" not in text


@pytest.mark.parametrize(
    "name", ["other_patient", "therapist", "other_therapist", "supervisor", "admin", "anonymous"]
)
def test_nobody_but_the_patient_opens_their_conversation(personas, course, other_course, client_for, name):
    session = transcript_with_secret(personas, course)
    client = client_for(name)
    response = client.get(reverse("my_roleplay_session", args=[session.pk]))
    assert response.status_code in (302, 403, 404)
    assert "SECRET-ROLEPLAY-LINE" not in response.content.decode()
    response = client.post(reverse("my_roleplay_session", args=[session.pk]), {"action": "say", "text": GOOD})
    assert response.status_code in (302, 403, 404)
    assert session.turns.count() == 3


def test_another_patient_never_sees_the_transcript_in_their_own_list(
    personas, course, other_course, client_for
):
    transcript_with_secret(personas, course)
    response = client_for("other_patient").get(reverse("my_roleplay"))
    assert response.status_code == 200
    assert "SECRET-ROLEPLAY-LINE" not in response.content.decode()
    assert (
        reverse("my_roleplay_session", args=[RolePlaySession.objects.get().pk])
        not in response.content.decode()
    )


def test_the_patient_has_a_conversation_with_feedback_on_each_turn_through_the_pages(
    personas, course, client_for
):
    client = client_for("patient")
    assert client.get(reverse("my_roleplay")).status_code == 200
    response = client.post(reverse("my_roleplay"), {"scenario": SLUG, "plays": "self"})
    session = RolePlaySession.objects.get()
    assert response["Location"] == reverse("my_roleplay_session", args=[session.pk])
    url = reverse("my_roleplay_session", args=[session.pk])
    response = client.post(url, {"action": "say", "text": BLAME}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200 and 'id="rp-conversation"' in text and "<html" not in text
    assert "defensive" in text and "Things to try" in text
    response = client.get(url)
    assert "Feedback on what you just said" in response.content.decode()
    assert AuditEvent.objects.filter(action="practice.roleplay.turn").count() == 1
    assert "lazy" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))
    client.post(url, {"action": "swap"})
    assert RolePlaySession.objects.get().patient_plays == "other"
    client.post(url, {"action": "finish"})
    assert RolePlaySession.objects.get().finished_at is not None
    response = client.post(url, {"action": "say", "text": GOOD})
    assert response.status_code == 400 and "finished" in response.content.decode()


def test_an_empty_turn_on_the_page_gets_a_clear_message_and_nothing_changes(personas, course, client_for):
    session = start(personas, course)
    url = reverse("my_roleplay_session", args=[session.pk])
    response = client_for("patient").post(url, {"action": "say", "text": ""})
    assert response.status_code == 400
    assert "Write what you would say" in response.content.decode()
    response = client_for("patient").post(url, {"action": "say", "text": "y" * 1001}, HTTP_HX_REQUEST="true")
    assert "1000 or fewer" in response.content.decode()
    assert RolePlayTurn.objects.filter(session=session).count() == 1


def test_starting_an_unknown_scenario_on_the_page_is_a_clear_message(personas, course, client_for):
    response = client_for("patient").post(reverse("my_roleplay"), {"scenario": "nope", "plays": "self"})
    assert response.status_code == 400 and "Choose one of the scenarios" in response.content.decode()
    response = client_for("patient").post(reverse("my_roleplay"), {"scenario": "custom:not-a-uuid"})
    assert response.status_code == 404
    assert not RolePlaySession.objects.exists()


def test_a_patient_cannot_start_another_courses_scenario(personas, course, other_course, client_for):
    theirs = create_scenario(
        actor=personas.other_therapist,
        course=other_course,
        title="Theirs",
        problem_area="grief",
        other_name="Kim",
        patient_goal="Talk",
    )
    response = client_for("patient").post(reverse("my_roleplay"), {"scenario": f"custom:{theirs.pk}"})
    assert response.status_code == 404
    with pytest.raises(ValidationError):
        start_session(actor=personas.patient, course=course, scenario=theirs)
    assert not RolePlaySession.objects.exists()


def test_an_inventory_person_removed_from_the_list_cannot_be_used(personas, course):
    gone = InventoryPerson.objects.create(
        course=course, name="Gone", relation=Relation.FRIEND, is_removed=True
    )
    with pytest.raises(ValidationError):
        create_scenario(actor=personas.therapist, course=course, **{**scenario_form(), "other_person": gone})
