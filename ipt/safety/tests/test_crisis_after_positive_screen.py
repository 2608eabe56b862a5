"""S8: a positive suicide item, submitted by the patient on their own form, alerts the therapist
(in-app and email, in the same transaction as the response) and shows crisis resources for where
the patient is: a positive C-SSRS screen, and PHQ-9 item 9 with the patient's country known from
their safety plan or from the location they confirmed at their last video session."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.measures import actions
from ipt.measures.instruments import registry
from ipt.measures.models import QuestionnaireResponse, ResponseStatus
from ipt.measures.tests.test_administrations import PHQ9_ITEM9, START, SUBMIT, assign, new_course
from ipt.measures.tests.test_instruments_clinic import DEFINITIONS
from ipt.safety.actions import save_safety_plan
from ipt.safety.models import RiskAlert
from ipt.scheduling.models import Appointment
from ipt.telehealth.models import LocationCheck

# C-SSRS answers: questions 1-6 and 6b, "" where skipped (3-5 unless 2 is yes; 6b unless 6 is yes).
POSITIVE_SCREENS = {
    "moderate: yes to 3": [1, 1, 1, 0, 0, 0, None],
    "moderate: behaviour longer ago": [0, 0, None, None, None, 1, 0],
    "high: yes to 4": [1, 1, 0, 1, 0, 0, None],
    "high: behaviour within 3 months": [0, 0, None, None, None, 1, 1],
}
LINES = {  # a country's crisis line and emergency number, as seeded
    "US": ("988", "911"),
    "GB": ("116 123", "999"),
    "AU": ("13 11 14", "000"),
}


@pytest.fixture
def clinic_registry(settings):
    settings.IPT_INSTRUMENT_DIR = str(DEFINITIONS)
    registry.reset()
    yield registry
    settings.IPT_INSTRUMENT_DIR = ""
    registry.reset()


def submit_on_the_form(client, assignment, answers) -> tuple[QuestionnaireResponse, str]:
    """The patient starts and submits on their own page; returns the response and the result page."""
    assert client.post(f"/my/questionnaires/start/{assignment.pk}/", START).status_code == 302
    response = QuestionnaireResponse.objects.get(assignment=assignment)
    data = {f"q{n}": "" if value is None else str(value) for n, value in enumerate(answers, start=1)}
    submitted = client.post(f"/my/questionnaires/{response.pk}/", data | SUBMIT)
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    response.refresh_from_db()
    return response, client.get(submitted["Location"]).content.decode()


def assert_shows_lines_of(page: str, country: str) -> None:
    line, emergency = LINES[country]
    assert "Help is available" in page and "Your therapist has been told" in page
    assert f"If you are in danger now, call\n    {emergency}" in page
    assert f'class="crisis-phone">{line}</a>' in page
    for other, (other_line, other_emergency) in LINES.items():
        if other != country and other_line != line:
            assert f'class="crisis-phone">{other_line}</a>' not in page, f"{other}'s line shown"
            assert f"call\n    {other_emergency}" not in page, f"{other}'s emergency number shown"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("answers", list(POSITIVE_SCREENS.values()), ids=list(POSITIVE_SCREENS))
def test_a_positive_cssrs_screen_alerts_in_app_and_by_email_and_shows_help(
    personas, client_for, mailbox, clinic_registry, answers
):
    course = new_course(personas)
    assignment = assign(course, "cssrs-screen")
    response, page = submit_on_the_form(client_for("patient"), assignment, answers)

    assert response.status == ResponseStatus.COMPLETED and response.flags == ["suicidal_ideation"]
    alert = RiskAlert.objects.get(course=course)
    assert alert.reason == "suicidal_ideation"
    assert alert.source == f"cssrs-screen response {response.pk}"
    [message] = mailbox.to(personas.therapist.email)
    assert "needs your attention" in mailbox.body(message)
    assert "C-SSRS" not in mailbox.body(message) and "cssrs" not in mailbox.body(message)
    assert "Help is available" in page and "Your therapist has been told" in page

    therapist_page = client_for("therapist").get(f"/courses/{course.pk}/measures/").content.decode()
    assert "Risk alert needing attention" in therapist_page
    assert f'href="/alerts/{alert.pk}/"' in therapist_page


@pytest.mark.django_db(transaction=True)
def test_when_the_alert_for_a_positive_cssrs_screen_fails_the_screen_is_not_stored(
    personas, clinic_registry, monkeypatch, mailbox
):
    course = new_course(personas)
    response = actions.start_response(actor=personas.patient, assignment=assign(course, "cssrs-screen"))

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(actions, "raise_risk_alert", broken)
    with pytest.raises(RuntimeError):
        actions.submit_response(actor=personas.patient, response=response, answers=[1, 1, 0, 1, 0, 0, None])
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS and response.flags in (None, [])
    assert not RiskAlert.objects.exists() and mailbox.messages == []
    assert not AuditEvent.objects.filter(action="questionnaire_response.submit").exists()


# Where the patient is -----------------------------------------------------------------------------


def location_check(personas, course, country: str, when) -> LocationCheck:
    """The location the patient confirmed when joining a video session at ``when``."""
    appointment = Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        course=course,
        start=when,
        end=when + timedelta(minutes=50),
        created_by=personas.therapist,
    )
    return LocationCheck.objects.create(
        appointment=appointment,
        country=country,
        emergency_address="1 Example Street",
        is_private=True,
        callback_number="+1 555 0100",
        confirmed_at=when,
    )


def phq9_item_9_page(personas, client_for, course) -> str:
    response, page = submit_on_the_form(client_for("patient"), assign(course), PHQ9_ITEM9)
    assert response.flags == ["suicidal_ideation"]
    assert RiskAlert.objects.filter(course=course).count() == 1
    return page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("country", ["GB", "AU", "US"])
def test_after_item_9_the_lines_are_those_of_the_country_on_the_safety_plan(
    personas, client_for, mailbox, country
):
    course = new_course(personas)
    save_safety_plan(actor=personas.patient, course=course, country=country, warning_signs="Not sleeping")
    assert_shows_lines_of(phq9_item_9_page(personas, client_for, course), country)


@pytest.mark.django_db(transaction=True)
def test_after_item_9_the_lines_are_those_of_the_location_confirmed_at_the_last_session(
    personas, client_for, mailbox
):
    course = new_course(personas)
    location_check(personas, course, "GB", timezone.now() - timedelta(days=3))
    assert_shows_lines_of(phq9_item_9_page(personas, client_for, course), "GB")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("location_days_ago", "expected"), [(30, "AU"), (0, "US")], ids=["plan newer", "check newer"]
)
def test_the_latest_of_the_safety_plan_and_the_location_check_says_where_the_patient_is(
    personas, client_for, mailbox, location_days_ago, expected
):
    course = new_course(personas)
    save_safety_plan(actor=personas.patient, course=course, country="AU", warning_signs="Not sleeping")
    when = timezone.now() - timedelta(days=location_days_ago)
    if not location_days_ago:
        when += timedelta(minutes=1)  # confirmed after the plan was saved
    location_check(personas, course, "US", when)
    assert_shows_lines_of(phq9_item_9_page(personas, client_for, course), expected)


@pytest.mark.django_db(transaction=True)
def test_a_newer_location_without_lines_of_its_own_does_not_show_an_older_countrys_as_local(
    personas, client_for, mailbox
):
    course = new_course(personas)
    save_safety_plan(actor=personas.patient, course=course, country="AU", warning_signs="Not sleeping")
    location_check(personas, course, "JP", timezone.now() + timedelta(minutes=1))
    page = phq9_item_9_page(personas, client_for, course)
    assert "Help is available" in page
    assert "People you can talk to now (Australia)" not in page
    assert "If you are in danger now, call\n    your local emergency number" in page
