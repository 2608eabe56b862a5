"""The caseload table is built once per change and served from the cache in between; every change
to what it shows is on the next page view (ipt/accounts/caseload.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ipt.accounts.models import CareTeam, CaseloadVersion
from ipt.care.models import CourseStatus
from ipt.measures.tests.test_administrations import PHQ9_MODERATE, assign, complete, hold_session, new_course
from ipt.measures.tests.test_caseload_flags import extra_patient, not_on_track, open_alert
from ipt.safety.actions import acknowledge_alert
from ipt.visits.models import EncounterStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def caseload(personas, client_for):
    client = client_for("therapist")

    def page() -> str:
        response = client.get("/")
        assert response.status_code == 200
        return response.content.decode()

    return page


def test_a_second_view_is_served_without_reading_the_caseload_again(personas, caseload):
    new_course(personas)
    first = caseload()
    with CaptureQueriesContext(connection) as queries:
        second = caseload()
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "measures_questionnaireresponse" not in read and "visits_encounter" not in read
    assert second.split("<main")[1] == first.split("<main")[1]
    assert "Paula Tient" in second


def test_an_alert_shows_at_once_and_goes_when_acknowledged(personas, caseload):
    course = new_course(personas)
    assert "Open risk alert" not in caseload()
    alert = open_alert(course)
    assert "Open risk alert" in caseload()
    acknowledge_alert(actor=personas.therapist, alert=alert, follow_up="Called the patient; safe tonight.")
    assert "Open risk alert" not in caseload()


def test_scores_and_sessions_show_at_once(personas, caseload):
    course = new_course(personas, team=None)
    course.status = CourseStatus.MIDDLE
    course.save()
    assert "session 0 of" in caseload()
    encounter = hold_session(course, personas, 1)
    assert encounter.status == EncounterStatus.FINISHED
    assert "session 1 of" in caseload()
    stuck = extra_patient(personas, "Stuck")
    caseload()
    not_on_track(personas, stuck)
    assert "Not on track (PHQ-9)" in caseload()
    complete(assign(course, "gad7"), [0] * 7)
    assert "session 1 of" in caseload()


def test_a_new_patient_a_new_name_and_a_move_show_at_once(personas, client_for, caseload):
    new_course(personas)
    other = client_for("other_therapist")
    assert "Newly Flagged" not in caseload()
    course = extra_patient(personas, "Newly")
    assert "Newly Flagged" in caseload()
    patient = course.care_team.patient
    patient.first_name = "Renamed"
    patient.save()
    assert "Renamed Flagged" in caseload() and "Newly Flagged" not in caseload()
    assert "Renamed Flagged" not in other.get("/").content.decode()
    team = CareTeam.objects.get(pk=course.care_team_id)
    team.therapist = personas.other_therapist
    team.save()
    assert "Renamed Flagged" not in caseload(), "a patient moved away leaves the old caseload at once"
    assert "Renamed Flagged" in other.get("/").content.decode()


def test_a_sign_in_does_not_rebuild_the_table(personas, caseload, client_for):
    new_course(personas)
    caseload()
    before = CaseloadVersion.objects.get(therapist=personas.therapist).version
    client_for("patient").get("/")  # signs in: last_login is saved
    complete(
        assign(new_course(personas, team=personas.other_care_team, therapist=personas.other_therapist)),
        PHQ9_MODERATE,
    )
    assert CaseloadVersion.objects.get(therapist=personas.therapist).version == before


def _alert_badge(html: str) -> str | None:
    if 'class="badge alert-badge">' not in html:
        return None
    return html.split('class="badge alert-badge">')[1].split("<")[0]


def test_the_alert_badge_of_every_page_counts_from_the_cache_and_moves_at_once(
    personas, caseload, client_for
):
    course = new_course(personas)
    inbox = client_for("therapist")
    assert _alert_badge(caseload()) is None
    assert _alert_badge(inbox.get("/messages/").content.decode()) is None
    first, second = open_alert(course), open_alert(course)
    assert _alert_badge(inbox.get("/messages/").content.decode()) == "2"
    with CaptureQueriesContext(connection) as queries:
        again = inbox.get("/messages/").content.decode()
    assert _alert_badge(again) == "2"
    assert "safety_riskalert" not in " ".join(query["sql"] for query in queries.captured_queries)
    assert _alert_badge(caseload()) == "2"
    acknowledge_alert(actor=personas.therapist, alert=first, follow_up="Called the patient; safe tonight.")
    assert _alert_badge(inbox.get("/messages/").content.decode()) == "1"
    assert _alert_badge(caseload()) == "1"
    acknowledge_alert(actor=personas.therapist, alert=second, follow_up="Called the patient; safe tonight.")
    assert _alert_badge(caseload()) is None


def test_emergency_access_to_a_patient_shows_on_the_cached_home_at_once(personas, caseload):
    from ipt.breakglass.actions import open_grant

    new_course(personas)
    assert "Emergency access to your patients" not in caseload()
    open_grant(
        actor=personas.other_therapist,
        care_team=personas.care_team,
        reason="The patient called the front desk in crisis tonight.",
    )
    home = caseload()
    assert "Emergency access to your patients" in home and "awaiting a supervisor" in home
