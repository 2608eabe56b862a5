"""The JSON API: session or bearer-token auth, /me, the caseload, errors as JSON."""

import uuid

import pytest
from django.core.management import call_command
from django.test import Client
from openapi_spec_validator import validate

from ipt.accounts.actions import create_api_token, revoke_api_token
from ipt.accounts.models import ApiToken


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_openapi_schema_is_served_and_valid(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert "/api/v1/me" in schema["paths"]


@pytest.mark.parametrize("persona", ["therapist", "supervisor", "admin", "patient"])
def test_me_tells_who_the_caller_is(personas, client_for, persona):
    body = client_for(persona).get("/api/v1/me").json()
    user = personas.get(persona)
    assert body["id"] == str(user.pk) and body["email"] == user.email and body["role"] == user.role
    expected_therapist = str(personas.therapist.pk) if persona == "patient" else None
    assert body["therapist_id"] == expected_therapist


def test_anonymous_callers_get_a_json_401(db):
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required."}


def test_a_bearer_token_from_the_command_works_and_is_stored_hashed(personas, capsys):
    call_command("create_api_token", "therapist@example.test")
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("ipt_")
    stored = ApiToken.objects.get(user=personas.therapist)
    assert secret not in (stored.token_hash, stored.prefix)
    body = Client().get("/api/v1/patients", **bearer(secret)).json()
    assert [team["patient"]["email"] for team in body] == ["patient@example.test"]


def test_a_revoked_or_unknown_token_is_refused(personas):
    token, secret = create_api_token(actor=None, user=personas.patient)
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200
    revoke_api_token(actor=None, token=token)
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 401
    assert Client().get("/api/v1/me", **bearer("ipt_made-up")).status_code == 401
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION="Basic abc").status_code == 401


def test_a_token_of_a_deactivated_account_is_refused(personas):
    _, secret = create_api_token(actor=None, user=personas.patient)
    personas.patient.is_active = False
    personas.patient.save()
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 401


def test_a_therapist_reads_their_patient_but_not_anothers(personas, client_for):
    client = client_for("therapist")
    mine = client.get(f"/api/v1/patients/{personas.care_team.pk}")
    assert mine.status_code == 200 and mine.json()["referral_reason"].startswith("SECRET-REFERRAL-patient")
    for missing in (personas.other_care_team.pk, uuid.uuid4()):
        response = client.get(f"/api/v1/patients/{missing}")
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_a_malformed_id_is_a_clear_client_error(personas, client_for):
    response = client_for("therapist").get("/api/v1/patients/not-a-uuid")
    assert response.status_code == 422
    assert "care_team_id" in str(response.json()["detail"])


def test_patients_do_not_read_the_referral_note(personas, client_for):
    response = client_for("patient").get(f"/api/v1/patients/{personas.care_team.pk}")
    assert response.status_code == 403
    assert "SECRET-REFERRAL" not in response.content.decode()
