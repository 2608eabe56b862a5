"""The stateless scoring API: list instruments, score answer sets, 422/404/401."""

import json

import pytest
from django.test import Client

from ipt.measures.instruments import registry
from ipt.measures.tests.test_instruments_clinic import DEFINITIONS


@pytest.fixture(autouse=True)
def no_clinic_definitions(settings):
    """Only the built-in instruments, whatever IPT_INSTRUMENT_DIR the environment sets."""
    settings.IPT_INSTRUMENT_DIR = ""
    registry.reset()
    yield
    registry.reset()


def post(client, code, answers):
    return client.post(
        f"/api/v1/instruments/{code}/score",
        data=json.dumps({"answers": answers}),
        content_type="application/json",
    )


@pytest.mark.parametrize("persona", ["therapist", "supervisor", "admin", "patient"])
def test_any_signed_in_user_lists_the_instruments_with_items_options_and_loinc_codes(client_for, persona):
    response = client_for(persona).get("/api/v1/instruments")
    assert response.status_code == 200
    by_code = {instrument["code"]: instrument for instrument in response.json()}
    assert list(by_code) == ["phq9", "gad7", "phq2", "gad2", "pcl5", "audit", "auditc", "wsas", "pg13r"]
    phq9 = by_code["phq9"]
    assert (phq9["title"], phq9["item_count"], phq9["loinc_panel"], phq9["loinc_total"]) == (
        "PHQ-9",
        10,
        "44249-1",
        "44261-6",
    )
    assert phq9["items"][0]["text"] == "Little interest or pleasure in doing things"
    assert phq9["items"][0]["options"][3] == {"value": 3, "label": "Nearly every day"}
    assert phq9["items"][9]["scored"] is False
    assert [option["value"] for option in by_code["audit"]["items"][8]["options"]] == [0, 2, 4]


def test_a_phq9_is_scored_with_its_safety_flag(client_for):
    response = post(client_for("patient"), "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("code", "total", "severity", "subscales", "flags")} == {
        "code": "phq9",
        "total": 1,
        "severity": "minimal",
        "subscales": {},
        "flags": ["suicidal_ideation"],
    }


def test_pcl5_subscales_and_wsas_notes_come_back(client_for):
    client = client_for("therapist")
    body = post(client, "pcl5", [2] * 20).json()
    assert body["total"] == 40 and body["subscales"] == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert body["details"]["provisional_diagnosis"] is True
    body = post(client, "wsas", [None, 4, 4, 4, 4]).json()
    assert body["total"] == 20 and "replaced by the mean" in body["notes"][0]
    body = post(client, "wsas", [None, None, 4, 4, 4]).json()
    assert body["total"] is None and body["severity"] == ""


@pytest.mark.parametrize(
    ("answers", "item", "allowed"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 4], 9, [0, 1, 2, 3]),
        ([0, 0, None, 0, 0, 0, 0, 0, 0], 3, [0, 1, 2, 3]),
        ([0, 0, "1", 0, 0, 0, 0, 0, 0], 3, [0, 1, 2, 3]),
        ([0, 0, True, 0, 0, 0, 0, 0, 0], 3, [0, 1, 2, 3]),
        ([0, 0, 1.5, 0, 0, 0, 0, 0, 0], 3, [0, 1, 2, 3]),
        ([0] * 8, None, []),
    ],
)
def test_an_invalid_answer_set_gets_a_422_naming_the_item_and_the_allowed_values(
    client_for, answers, item, allowed
):
    response = post(client_for("patient"), "phq9", answers)
    assert response.status_code == 422
    body = response.json()
    assert (body["item"], body["allowed"]) == (item, allowed) and body["detail"]


def test_audit_items_9_and_10_allowed_values_are_reported(client_for):
    response = post(client_for("therapist"), "audit", [0] * 8 + [3, 0])
    assert response.status_code == 422
    assert response.json()["item"] == 9 and response.json()["allowed"] == [0, 2, 4]


def test_a_body_without_answers_is_a_422(client_for):
    response = client_for("therapist").post(
        "/api/v1/instruments/phq9/score", data=json.dumps({}), content_type="application/json"
    )
    assert response.status_code == 422


def test_an_unknown_instrument_is_a_404(client_for):
    response = post(client_for("therapist"), "nope", [0])
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert post(client_for("therapist"), "epds", [0] * 10).status_code == 404  # no definition file


def test_anonymous_callers_get_a_401(db):
    assert Client().get("/api/v1/instruments").status_code == 401
    response = post(Client(), "phq9", [0] * 9)
    assert response.status_code == 401 and response.json() == {"detail": "Authentication required."}


def test_clinic_supplied_instruments_are_listed_and_scored_once_defined(client_for, settings):
    settings.IPT_INSTRUMENT_DIR = str(DEFINITIONS)
    registry.reset()
    try:
        client = client_for("patient")
        listed = {instrument["code"]: instrument for instrument in client.get("/api/v1/instruments").json()}
        assert listed["epds"]["clinic_supplied"] is True and listed["epds"]["loinc_panel"] == "71354-5"
        body = post(client, "epds", [0] * 9 + [1]).json()
        assert body["flags"] == ["suicidal_ideation"]
        body = post(client, "cssrs-screen", [1, 1, 1, 0, 0, 0, None]).json()
        assert (body["total"], body["severity"], body["flags"]) == (None, "moderate", ["suicidal_ideation"])
        response = post(client, "cssrs-screen", [1, 0, 1, None, None, 0, None])
        assert response.status_code == 422 and response.json()["item"] == 3
    finally:
        settings.IPT_INSTRUMENT_DIR = ""
        registry.reset()


def test_the_scoring_routes_are_in_the_openapi_schema(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/instruments" in paths and "/api/v1/instruments/{code}/score" in paths
