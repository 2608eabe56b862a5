"""Questionnaires given to a patient: assigning, what is due, saving answers as they go, submitting
(scored, audited, a risk alert in the same transaction) and who may see what."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.care.actions.course import start_course
from ipt.care.models import TreatmentCourse
from ipt.measures import actions
from ipt.measures.access import due_for_course, due_for_courses
from ipt.measures.models import MeasureAssignment, QuestionnaireResponse, ResponseStatus, Schedule, due_since
from ipt.safety.models import RiskAlert
from ipt.visits.models import Encounter, EncounterStatus

PHQ9_MODERATE = [2, 2, 1, 1, 1, 1, 1, 1, 0, 1]  # total 10, item 9 = 0
PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0]  # total 1, item 9 = 1
START, SUBMIT = {"intent": "start"}, {"intent": "submit"}


def new_course(personas, team=None, therapist=None) -> TreatmentCourse:
    return start_course(
        actor=therapist or personas.therapist,
        care_team=team or personas.care_team,
        format="ipt",
        planned_sessions=14,
        target_conditions=["depression"],
    )


def hold_session(course, personas, number, when=None) -> Encounter:
    return Encounter.objects.create(
        course=course,
        number=number,
        phase="initial",
        starts_at=when or timezone.now(),
        status=EncounterStatus.FINISHED,
        created_by=course.care_team.therapist,
    )


def assign(course, code="phq9", schedule=Schedule.BEFORE_EVERY_SESSION, every_weeks=None):
    return actions.assign_instrument(
        actor=course.care_team.therapist,
        course=course,
        instrument=code,
        schedule=schedule,
        every_weeks=every_weeks,
    )


def complete(assignment, answers, when=None) -> QuestionnaireResponse:
    patient = assignment.course.care_team.patient
    response = actions.start_response(actor=patient, assignment=assignment)
    response = actions.submit_response(actor=patient, response=response, answers=answers)
    if when is not None:
        QuestionnaireResponse.objects.filter(pk=response.pk).update(submitted_at=when, started_at=when)
        response.refresh_from_db()
    return response


@pytest.fixture
def course(personas):
    return new_course(personas)


# What is due -------------------------------------------------------------------------------------


def _assignment(schedule, every_weeks=None, created_at=None):
    return MeasureAssignment(
        schedule=schedule,
        every_weeks=every_weeks,
        created_at=created_at or timezone.now() - timedelta(days=30),
    )


def test_a_questionnaire_before_every_session_is_due_until_answered_after_the_last_session():
    now = timezone.now()
    assignment = _assignment(Schedule.BEFORE_EVERY_SESSION)
    session = now - timedelta(days=3)
    assert due_since(assignment, last_encounter_at=session, last_completed_at=None, now=now) == session
    answered_before = session - timedelta(days=1)
    assert (
        due_since(assignment, last_encounter_at=session, last_completed_at=answered_before, now=now)
        == session
    )
    answered_since = session + timedelta(hours=1)
    assert due_since(assignment, last_encounter_at=session, last_completed_at=answered_since, now=now) is None
    # Before any session: due until it is answered once (the baseline).
    assert due_since(assignment, last_encounter_at=None, last_completed_at=None, now=now) is not None
    assert due_since(assignment, last_encounter_at=None, last_completed_at=answered_before, now=now) is None


def test_a_questionnaire_every_two_weeks_is_due_two_weeks_after_the_last_answers():
    now = timezone.now()
    assignment = _assignment(Schedule.EVERY_N_WEEKS, every_weeks=2)
    assert due_since(assignment, last_encounter_at=None, last_completed_at=None, now=now) is not None
    recent = now - timedelta(days=13)
    assert due_since(assignment, last_encounter_at=now, last_completed_at=recent, now=now) is None
    older = now - timedelta(days=15)
    assert due_since(
        assignment, last_encounter_at=None, last_completed_at=older, now=now
    ) == older + timedelta(weeks=2)


def test_a_questionnaire_given_once_is_due_until_it_is_answered():
    now = timezone.now()
    assignment = _assignment(Schedule.ONCE)
    assert due_since(assignment, last_encounter_at=now, last_completed_at=None, now=now) is not None
    assert (
        due_since(assignment, last_encounter_at=now, last_completed_at=now - timedelta(days=60), now=now)
        is None
    )


def test_a_stopped_assignment_is_never_due():
    assignment = _assignment(Schedule.ONCE)
    assignment.is_active = False
    assert due_since(assignment, last_encounter_at=None, last_completed_at=None) is None


def test_due_questionnaires_follow_the_sessions_held(personas, course):
    assignment = assign(course)
    assert [due.assignment for due in due_for_course(course)] == [assignment]
    complete(assignment, PHQ9_MODERATE)
    assert due_for_course(course) == []
    hold_session(course, personas, 1)
    [due] = due_for_course(course)
    assert due.assignment == assignment and not due.overdue
    complete(assignment, PHQ9_MODERATE)
    assert due_for_course(course) == []


def test_a_questionnaire_due_for_more_than_a_week_is_overdue(personas, course):
    assignment = assign(course)
    MeasureAssignment.objects.filter(pk=assignment.pk).update(created_at=timezone.now() - timedelta(days=8))
    [due] = due_for_course(course)
    assert due.overdue


def test_one_course_compiled_once_answers_as_many_courses_do(personas):
    """due_for_course (the patient's pages, compiled queries) and due_for_courses (the caseload)
    agree: sessions held, answers given, a draft to resume, several schedules, other courses."""
    course, other = (
        new_course(personas),
        new_course(personas, personas.other_care_team, personas.other_therapist),
    )
    weekly, every_two, once = (
        assign(course),
        assign(course, "gad7", Schedule.EVERY_N_WEEKS, 2),
        assign(course, "wsas", Schedule.ONCE),
    )
    assign(other)
    hold_session(course, personas, 1, timezone.now() - timedelta(days=3))
    complete(every_two, [1] * 7, timezone.now() - timedelta(days=20))
    actions.start_response(actor=personas.patient, assignment=weekly)  # a draft to resume
    for when in (timezone.now(), timezone.now() + timedelta(days=9)):
        mine, many = due_for_course(course, now=when), due_for_courses([course.pk, other.pk], now=when)
        assert mine == many[course.pk] and mine
        assert [due.assignment for due in mine if due.draft] == [weekly]
    assert {due.assignment for due in due_for_course(course)} >= {weekly, every_two, once}


# Therapist: assigning ------------------------------------------------------------------------------


def test_the_therapist_assigns_a_questionnaire_and_the_patient_sees_it_on_their_home(
    personas, client_for, course
):
    client = client_for("therapist")
    url = f"/courses/{course.pk}/measures/"
    response = client.post(url, {"instrument": "gad7", "schedule": "every_n_weeks", "every_weeks": "2"})
    assert response.status_code == 302
    assignment = MeasureAssignment.objects.get(course=course)
    assert (assignment.instrument, assignment.schedule, assignment.every_weeks) == (
        "gad7",
        "every_n_weeks",
        2,
    )
    assert AuditEvent.objects.filter(action="measure_assignment.create", actor=personas.therapist).exists()
    page = client.get(url).content.decode()
    assert "GAD-7" in page and "Every 2 weeks" in page

    home = client_for("patient").get("/").content.decode()
    assert "Questionnaires to fill in" in home
    assert f'action="/my/questionnaires/start/{assignment.pk}/"' in home


def test_assigning_without_the_weeks_or_twice_is_refused_with_a_reason(client_for, course):
    client = client_for("therapist")
    url = f"/courses/{course.pk}/measures/"
    response = client.post(url, {"instrument": "phq9", "schedule": "every_n_weeks", "every_weeks": ""})
    assert response.status_code == 400
    assert "Say every how many weeks." in response.content.decode()
    assert client.post(url, {"instrument": "nonsense", "schedule": "once"}).status_code == 400
    assert client.post(url, {"instrument": "phq9", "schedule": "once"}).status_code == 302
    again = client.post(url, {"instrument": "phq9", "schedule": "once"})
    assert again.status_code == 400
    assert "already assigned" in again.content.decode()
    assert MeasureAssignment.objects.filter(course=course).count() == 1


def test_the_therapist_stops_a_questionnaire_and_it_is_no_longer_due(client_for, course):
    assignment = assign(course)
    response = client_for("therapist").post(
        f"/courses/{course.pk}/measures/{assignment.pk}/stop/", {"intent": "stop"}
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert not assignment.is_active
    assert due_for_course(course) == []


def test_a_reminder_email_says_only_that_there_is_a_questionnaire(
    personas, client_for, course, mailbox, django_capture_on_commit_callbacks
):
    assignment = assign(course)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("therapist").post(
            f"/courses/{course.pk}/measures/{assignment.pk}/remind/", {"intent": "remind"}
        )
    assert response.status_code == 302
    [message] = mailbox.to(personas.patient.email)
    body = mailbox.body(message)
    assert "You have a questionnaire to fill in" in body
    assert "/login/?next=/my/questionnaires/" in body
    assert "PHQ" not in body and "PHQ" not in message["Subject"]
    assignment.refresh_from_db()
    assert assignment.reminded_at is not None


# Patient: answering --------------------------------------------------------------------------------


def test_answers_are_saved_as_the_patient_goes_and_a_reload_shows_them(personas, client_for, course):
    assignment = assign(course)
    client = client_for("patient")
    started = client.post(f"/my/questionnaires/start/{assignment.pk}/", START)
    response = QuestionnaireResponse.objects.get(assignment=assignment)
    assert started.status_code == 302 and started["Location"] == f"/my/questionnaires/{response.pk}/"

    saved = client.post(f"/my/questionnaires/{response.pk}/answers", {"q1": "2", "q2": "3"})
    assert saved.status_code == 200
    assert "Saved: 2 of 10 answered." in saved.content.decode()
    response.refresh_from_db()
    assert response.answers[:3] == [2, 3, None]
    assert response.status == ResponseStatus.IN_PROGRESS

    page = client.get(f"/my/questionnaires/{response.pk}/").content.decode()
    assert 'name="q1" value="2" checked' in page
    assert 'name="q2" value="3" checked' in page
    assert 'name="q3" value="0">' in page
    # Starting again continues the same response.
    home = client.get("/").content.decode()
    assert f'href="/my/questionnaires/{response.pk}/"' in home
    client.post(f"/my/questionnaires/start/{assignment.pk}/", START)
    assert QuestionnaireResponse.objects.filter(assignment=assignment).count() == 1


def test_an_autosaved_answer_out_of_range_is_refused_and_nothing_changes(client_for, course):
    assignment = assign(course)
    client = client_for("patient")
    client.post(f"/my/questionnaires/start/{assignment.pk}/", START)
    response = QuestionnaireResponse.objects.get(assignment=assignment)
    refused = client.post(f"/my/questionnaires/{response.pk}/answers", {"q1": "1", "q2": "7"})
    assert refused.status_code == 400
    assert "Question 2" in refused.content.decode()
    response.refresh_from_db()
    assert response.answers == [None] * 10


def test_submitting_scores_stores_and_shows_the_result_in_plain_words(personas, client_for, course):
    assignment = assign(course)
    client = client_for("patient")
    client.post(f"/my/questionnaires/start/{assignment.pk}/", START)
    response = QuestionnaireResponse.objects.get(assignment=assignment)
    data = {f"q{number}": str(value) for number, value in enumerate(PHQ9_MODERATE, start=1)} | SUBMIT
    submitted = client.post(f"/my/questionnaires/{response.pk}/", data)
    assert submitted.status_code == 302
    assert submitted["Location"] == f"/my/questionnaires/{response.pk}/result/"
    response.refresh_from_db()
    assert response.status == ResponseStatus.COMPLETED
    assert (response.total, response.severity, response.flags) == (10, "moderate", [])
    assert response.submitted_by == personas.patient and response.submitted_at is not None
    event = AuditEvent.objects.get(action="questionnaire_response.submit")
    assert event.detail == {"instrument": "phq9", "flagged": False}

    result = client.get(submitted["Location"]).content.decode()
    assert "Your answers suggest moderate depression symptoms." in result
    assert "Help is available" not in result
    assert RiskAlert.objects.count() == 0
    assert due_for_course(course) == []
    # The therapist sees it at once.
    page = client_for("therapist").get(f"/courses/{course.pk}/measures/").content.decode()
    assert "Latest: 10 (moderate)" in page
    assert f'src="/courses/{course.pk}/measures/phq9.svg"' in page


def test_a_missing_answer_is_refused_with_400_naming_the_item_and_nothing_is_stored(client_for, course):
    assignment = assign(course)
    client = client_for("patient")
    client.post(f"/my/questionnaires/start/{assignment.pk}/", START)
    response = QuestionnaireResponse.objects.get(assignment=assignment)
    data = {f"q{number}": "1" for number in range(1, 10) if number != 4} | SUBMIT
    refused = client.post(f"/my/questionnaires/{response.pk}/", data)
    assert refused.status_code == 400
    assert "Question 4" in refused.content.decode()
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS
    assert response.total is None
    assert not AuditEvent.objects.filter(action="questionnaire_response.submit").exists()


def test_an_answer_out_of_range_is_refused_with_400_and_nothing_is_stored(client_for, course):
    assignment = assign(course)
    client = client_for("patient")
    client.post(f"/my/questionnaires/start/{assignment.pk}/", START)
    response = QuestionnaireResponse.objects.get(assignment=assignment)
    data = {f"q{number}": "1" for number in range(1, 10)} | {"q3": "9"} | SUBMIT
    refused = client.post(f"/my/questionnaires/{response.pk}/", data)
    assert refused.status_code == 400
    assert "Question 3" in refused.content.decode()
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS and response.total is None


def test_submit_response_raises_the_scoring_error_and_stores_nothing(personas, course):
    from ipt.measures.instruments.base import ScoringError

    assignment = assign(course)
    response = actions.start_response(actor=personas.patient, assignment=assignment)
    with pytest.raises(ScoringError) as raised:
        actions.submit_response(actor=personas.patient, response=response, answers=[1] * 8 + [None, None])
    assert raised.value.item == 9
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS and response.total is None


def test_only_the_patient_answers_their_questionnaire(personas, course):
    assignment = assign(course)
    with pytest.raises(PermissionDenied):
        actions.start_response(actor=personas.therapist, assignment=assignment)
    response = actions.start_response(actor=personas.patient, assignment=assignment)
    with pytest.raises(PermissionDenied):
        actions.submit_response(actor=personas.therapist, response=response, answers=PHQ9_MODERATE)


def test_a_post_without_the_buttons_intent_changes_nothing(personas, client_for, course):
    assignment = assign(course)
    patient = client_for("patient")
    assert patient.post(f"/my/questionnaires/start/{assignment.pk}/", {"junk": "1"}).status_code == 400
    assert not QuestionnaireResponse.objects.exists()
    response = actions.start_response(actor=personas.patient, assignment=assignment)
    actions.save_answers(
        actor=personas.patient, response=response, answers=dict(enumerate(PHQ9_MODERATE, start=1))
    )
    assert patient.post(f"/my/questionnaires/{response.pk}/", {"junk": "1"}).status_code == 400
    assert patient.post(f"/my/questionnaires/{response.pk}/answers", {"junk": "1"}).status_code == 400
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS
    therapist = client_for("therapist")
    for action in ("stop", "remind"):
        assert therapist.post(f"/courses/{course.pk}/measures/{assignment.pk}/{action}/").status_code == 400
    assignment.refresh_from_db()
    assert assignment.is_active and assignment.reminded_at is None


def test_a_sent_questionnaire_cannot_be_changed(client_for, course):
    assignment = assign(course)
    response = complete(assignment, PHQ9_MODERATE)
    client = client_for("patient")
    assert client.post(f"/my/questionnaires/{response.pk}/answers", {"q1": "3"}).status_code == 400
    assert (
        client.get(f"/my/questionnaires/{response.pk}/")["Location"]
        == f"/my/questionnaires/{response.pk}/result/"
    )
    response.refresh_from_db()
    assert response.answers == PHQ9_MODERATE


# Safety: item 9 --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_item_9_above_0_raises_an_alert_emails_the_therapist_and_shows_the_patient_help(
    personas, client_for, mailbox
):
    course = new_course(personas)
    assignment = assign(course)
    client = client_for("patient")
    client.post(f"/my/questionnaires/start/{assignment.pk}/", START)
    response = QuestionnaireResponse.objects.get(assignment=assignment)
    data = {f"q{number}": str(value) for number, value in enumerate(PHQ9_ITEM9, start=1)} | SUBMIT
    submitted = client.post(f"/my/questionnaires/{response.pk}/", data)
    assert submitted.status_code == 302

    response.refresh_from_db()
    assert response.total == 1 and response.flags == ["suicidal_ideation"]
    alert = RiskAlert.objects.get(course=course)
    assert alert.reason == "suicidal_ideation"
    assert alert.source == f"phq9 response {response.pk}"
    [message] = mailbox.to(personas.therapist.email)
    assert "needs your attention" in mailbox.body(message)
    assert "PHQ" not in mailbox.body(message)

    result = client.get(submitted["Location"]).content.decode()
    assert "Help is available" in result
    assert "Your therapist has been told" in result

    page = client_for("therapist").get(f"/courses/{course.pk}/measures/").content.decode()
    assert "Risk alert needing attention" in page
    assert f'href="/alerts/{alert.pk}/"' in page
    assert "Suicidal ideation flagged" in page


@pytest.mark.django_db(transaction=True)
def test_when_the_alert_cannot_be_raised_the_response_is_not_stored_either(personas, monkeypatch, mailbox):
    course = new_course(personas)
    assignment = assign(course)
    response = actions.start_response(actor=personas.patient, assignment=assignment)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(actions, "raise_risk_alert", broken)
    with pytest.raises(RuntimeError):
        actions.submit_response(actor=personas.patient, response=response, answers=PHQ9_ITEM9)
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS and response.total is None
    assert not AuditEvent.objects.filter(action="questionnaire_response.submit").exists()
    assert mailbox.messages == []


# Who may see what ---------------------------------------------------------------------------------


def test_other_people_get_404_admin_403_and_the_supervisor_reads_only(personas, client_for, course):
    assignment = assign(course)
    response = complete(assignment, PHQ9_MODERATE)
    draft = actions.start_response(actor=personas.patient, assignment=assign(course, "gad7", Schedule.ONCE))
    staff_page = f"/courses/{course.pk}/measures/"
    chart = f"/courses/{course.pk}/measures/phq9.svg"
    for name in ("other_therapist",):
        client = client_for(name)
        assert client.get(staff_page).status_code == 404
        assert client.get(chart).status_code == 404
        assert (
            client.post(
                f"/courses/{course.pk}/measures/{assignment.pk}/remind/", {"intent": "remind"}
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"/courses/{course.pk}/measures/{assignment.pk}/stop/", {"intent": "stop"}
            ).status_code
            == 404
        )
    other = client_for("other_patient")
    assert other.get(chart).status_code == 404
    assert other.get(f"/my/questionnaires/{response.pk}/result/").status_code == 404
    assert other.get(f"/my/questionnaires/{draft.pk}/").status_code == 404
    assert other.post(f"/my/questionnaires/{draft.pk}/answers", {"q1": "1"}).status_code == 404
    assert other.post(f"/my/questionnaires/start/{assignment.pk}/", START).status_code == 404
    admin = client_for("admin")
    assert admin.get(staff_page).status_code == 403
    assert admin.get(chart).status_code == 403
    assert admin.get("/my/questionnaires/").status_code == 403
    assert client_for("therapist").get(f"/my/questionnaires/{draft.pk}/").status_code == 403

    supervisor = client_for("supervisor")
    page = supervisor.get(staff_page)
    assert page.status_code == 200 and "Latest: 10 (moderate)" in page.content.decode()
    assert "Assign a questionnaire" not in page.content.decode()
    assert supervisor.post(staff_page, {"instrument": "gad2", "schedule": "once"}).status_code == 403
    assert (
        supervisor.post(
            f"/courses/{course.pk}/measures/{assignment.pk}/stop/", {"intent": "stop"}
        ).status_code
        == 403
    )
    assert supervisor.get(chart).status_code == 200
    assert client_for("patient").get(chart).status_code == 200
    assert MeasureAssignment.objects.filter(course=course, instrument="gad2").count() == 0


def test_reading_results_is_audited(personas, client_for, course):
    complete(assign(course), PHQ9_MODERATE)
    client_for("therapist").get(f"/courses/{course.pk}/measures/")
    client_for("patient").get("/my/questionnaires/")
    assert AuditEvent.objects.filter(action="measures.read", actor=personas.therapist).exists()
    assert AuditEvent.objects.filter(action="questionnaires.read", actor=personas.patient).exists()


def test_the_patient_sees_their_results_over_time(client_for, course):
    complete(assign(course), PHQ9_MODERATE)
    page = client_for("patient").get("/my/questionnaires/").content.decode()
    assert "Nothing to fill in right now" in page
    assert "Your PHQ-9 answers over time" in page
    assert f'src="/courses/{course.pk}/measures/phq9.svg"' in page


def test_a_patient_without_a_course_gets_404_on_their_questionnaires(client_for):
    assert client_for("patient").get("/my/questionnaires/").status_code == 404


def test_the_result_is_put_in_plain_words():
    from ipt.measures.views import plain_result

    def words(code, total, severity):
        return plain_result(QuestionnaireResponse(instrument=code, total=total, severity=severity))

    assert words("phq9", 3, "minimal") == "Your answers suggest few or no depression symptoms."
    assert words("gad7", 16, "severe") == "Your answers suggest severe anxiety symptoms."
    assert words("pcl5", 40, "probable PTSD") == "Your score is 40 (the scale goes from 0 to 80)."
