"""The audit search page: admins see every event, supervisors those of their teams."""

from ipt.audit.actions import record


def test_admins_search_every_event(personas, client_for):
    record(
        actor=personas.other_therapist,
        action="patient.read",
        target=personas.other_care_team,
        patient=personas.other_patient,
    )
    page = client_for("admin").get("/audit/", {"actor": "other.therapist"}).content.decode()
    assert "other.therapist@example.test" in page and "patient.read" in page


def test_supervisors_see_their_teams_events_only(personas, client_for):
    record(
        actor=personas.therapist, action="patient.read", target=personas.care_team, patient=personas.patient
    )
    record(
        actor=personas.other_therapist,
        action="patient.read",
        target=personas.other_care_team,
        patient=personas.other_patient,
    )
    page = client_for("supervisor").get("/audit/", {"action": "patient."}).content.decode()
    assert "therapist@example.test" in page
    assert "other.therapist@example.test" not in page


def test_bad_filters_are_explained_and_nothing_breaks(personas, client_for):
    response = client_for("admin").get("/audit/", {"since": "not-a-date", "page": "999"})
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_therapists_and_patients_cannot_search_the_audit(personas, client_for):
    for persona in ("therapist", "patient"):
        assert client_for(persona).get("/audit/").status_code == 403
