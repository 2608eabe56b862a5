"""FHIR R4 export: valid bundles (fhir.resources R4B models), codes and references, who sees what,
and nothing private in the JSON."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from ipt.accounts import actions
from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus
from ipt.interop import fhir
from ipt.interop.measures import questionnaire_id
from ipt.interop.tests.conftest import GOAL, NEVER, SHARED_SUMMARY

FHIR_JSON = "application/fhir+json"


def everything_url(team) -> str:
    return reverse("fhir_patient_everything", args=[team.pk])


def get_json(client: Client, url: str, status: int = 200, **headers) -> dict:
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith(FHIR_JSON)
    return json.loads(response.content)


def validate_bundle(bundle: dict) -> list[dict]:
    """Parse the bundle and every resource with the R4B models; return the resources."""
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    for entry, resource in zip(bundle["entry"], resources, strict=True):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"].endswith(f"/fhir/r4/{resource['resourceType']}/{resource['id']}")
    assert bundle["type"] == "searchset"
    return resources


def references(value) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for child in value.values() for ref in references(child)]
    if isinstance(value, list):
        return [ref for child in value for ref in references(child)]
    return []


def by_type(resources: list[dict], kind: str) -> list[dict]:
    return [resource for resource in resources if resource["resourceType"] == kind]


def test_the_everything_bundle_is_valid_r4_and_every_reference_resolves(personas, client_for, record):
    bundle = get_json(client_for("therapist"), everything_url(personas.care_team))
    resources = validate_bundle(bundle)
    assert bundle["total"] == 1 and bundle["entry"][0]["search"]["mode"] == "match"
    kinds = [resource["resourceType"] for resource in resources]
    assert kinds[0] == "Patient"
    for kind in (
        "Practitioner",
        "CarePlan",
        "Goal",
        "Encounter",
        "Questionnaire",
        "QuestionnaireResponse",
        "Appointment",
        "Consent",
    ):
        assert kind in kinds, kind
    present = {f"{resource['resourceType']}/{resource['id']}" for resource in resources}
    for reference in references(resources):
        assert reference in present, f"{reference} does not resolve within the bundle"
    canonical = {resource["url"] for resource in by_type(resources, "Questionnaire")}
    for response in by_type(resources, "QuestionnaireResponse"):
        assert response["questionnaire"] in canonical


def test_observations_carry_the_loinc_total_value_date_and_derived_from(personas, client_for, record):
    resources = validate_bundle(get_json(client_for("therapist"), everything_url(personas.care_team)))
    observations = by_type(resources, "Observation")
    assert [obs["valueInteger"] for obs in observations] == [18, 9, 3]
    for observation, response in zip(observations, record.responses, strict=True):
        assert observation["code"]["coding"] == [
            {"system": "http://loinc.org", "code": "44261-6", "display": "PHQ-9 total score"}
        ]
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response.pk}"}]
        assert observation["effectiveDateTime"] == response.submitted_at.isoformat()
    [questionnaire] = by_type(resources, "Questionnaire")
    assert questionnaire["code"][0] == {"system": "http://loinc.org", "code": "44249-1", "display": "PHQ-9"}
    # A draft (the GAD-7 started but not sent) is not a result: it is not exported.
    assert len(by_type(resources, "QuestionnaireResponse")) == 3
    first = by_type(resources, "QuestionnaireResponse")[0]
    assert first["item"][0] == {
        "linkId": "1",
        "answer": [{"valueCoding": {"code": "2", "display": "More than half the days"}}],
    }


def test_the_care_plan_carries_the_problem_area_goals_and_sessions(personas, client_for, record):
    resources = validate_bundle(get_json(client_for("supervisor"), everything_url(personas.care_team)))
    [plan] = by_type(resources, "CarePlan")
    assert plan["status"] == "active" and plan["intent"] == "plan"
    [goal] = by_type(resources, "Goal")
    assert goal["id"] == str(record.area.pk) and GOAL in goal["description"]["text"]
    assert plan["goal"] == [{"reference": f"Goal/{record.area.pk}"}]
    assert plan["activity"][0]["detail"]["code"]["text"] == "Role dispute (primary problem area)"
    encounters = by_type(resources, "Encounter")
    assert [e["status"] for e in encounters] == ["finished", "finished", "finished", "cancelled"]
    assert all(e["class"]["code"] == "VR" for e in encounters)
    assert len(plan["activity"][-1]["outcomeReference"]) == 4


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (CourseStatus.INTAKE, "active"),
        (CourseStatus.INITIAL, "active"),
        (CourseStatus.MIDDLE, "active"),
        (CourseStatus.TERMINATION, "active"),
        (CourseStatus.MAINTENANCE, "active"),
        (CourseStatus.COMPLETED, "completed"),
        (CourseStatus.DISCONTINUED, "revoked"),
    ],
)
def test_each_course_phase_maps_to_a_care_plan_status(personas, client_for, record, status, expected):
    record.course.status = status
    record.course.save()
    resources = validate_bundle(get_json(client_for("therapist"), everything_url(personas.care_team)))
    assert by_type(resources, "CarePlan")[0]["status"] == expected
    assert set(fhir.CARE_PLAN_STATUS) == set(CourseStatus)


@pytest.mark.parametrize("persona", ["therapist", "supervisor", "patient"])
def test_nothing_private_or_clinical_free_text_is_exported(personas, client_for, record, persona):
    text = client_for(persona).get(everything_url(personas.care_team)).content.decode()
    assert GOAL in text
    for what, marker in {**NEVER, "shared summary": SHARED_SUMMARY}.items():
        assert marker not in text, f"the {what} is in the FHIR export"


def test_the_search_lists_only_the_patients_the_caller_may_see(personas, client_for, record, other_record):
    url = reverse("fhir_patient_search")
    expected = {
        "therapist": [personas.care_team],
        "supervisor": [personas.care_team],
        "patient": [personas.care_team],
        "other_therapist": [personas.other_care_team],
        "other_patient": [personas.other_care_team],
    }
    for persona, teams in expected.items():
        bundle = get_json(client_for(persona), url)
        resources = validate_bundle(bundle)
        assert bundle["total"] == len(teams)
        assert [resource["id"] for resource in resources] == [str(team.pk) for team in teams], persona
        assert resources[0]["name"][0]["family"] == teams[0].patient.last_name
        assert resources[0]["generalPractitioner"] == [{"reference": f"Practitioner/{teams[0].therapist_id}"}]


def test_another_team_gets_404_the_admin_403_and_anonymous_401(personas, client_for, record, other_record):
    own, other = everything_url(personas.care_team), everything_url(personas.other_care_team)
    for persona in ("other_therapist", "other_patient"):
        outcome = get_json(client_for(persona), own, 404)
        assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "not-found"
    assert get_json(client_for("patient"), other, 404)["resourceType"] == "OperationOutcome"
    assert get_json(
        client_for("therapist"), reverse("fhir_patient_read", args=[personas.other_care_team.pk]), 404
    )
    for url in (own, reverse("fhir_patient_search")):
        assert get_json(client_for("admin"), url, 403)["issue"][0]["code"] == "forbidden"
        response = client_for("anonymous").get(url)
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    body = client_for("other_therapist").get(own).content.decode()
    assert personas.patient.last_name not in body and GOAL not in body
    assert client_for("therapist").post(own).status_code == 405


def test_the_operation_name_may_come_percent_encoded(personas, client_for, record):
    url = everything_url(personas.care_team).replace("$", "%24")
    assert validate_bundle(get_json(client_for("therapist"), url))[0]["id"] == str(personas.care_team.pk)


def test_a_bearer_token_reads_and_a_bad_one_is_refused(personas, record):
    _, token = actions.create_api_token(actor=None, user=personas.therapist)
    client = Client()
    bundle = get_json(client, everything_url(personas.care_team), Authorization=f"Bearer {token}")
    assert validate_bundle(bundle)[0]["id"] == str(personas.care_team.pk)
    read = get_json(
        client, reverse("fhir_patient_read", args=[personas.care_team.pk]), Authorization=f"Bearer {token}"
    )
    get_fhir_model_class("Patient").model_validate(read)
    assert (
        client.get(
            everything_url(personas.care_team), headers={"Authorization": "Bearer ipt_nope"}
        ).status_code
        == 401
    )


def test_a_staff_session_without_the_totp_check_reads_nothing(personas, record):
    client = Client()
    client.force_login(personas.therapist, backend="ipt.accounts.backends.UserBackend")
    response = client.get(everything_url(personas.care_team))
    assert response.status_code in (302, 401)
    assert GOAL not in response.content.decode()


def test_every_export_is_audited(personas, client_for, record):
    therapist = client_for("therapist")
    therapist.get(reverse("fhir_patient_search"))
    therapist.get(reverse("fhir_patient_read", args=[personas.care_team.pk]))
    therapist.get(everything_url(personas.care_team))
    actions_seen = list(
        AuditEvent.objects.filter(actor=personas.therapist).values_list("action", "patient_id")
    )
    assert ("fhir.patient.search", None) in actions_seen
    assert ("fhir.patient.read", personas.patient.pk) in actions_seen
    assert ("fhir.patient.everything", personas.patient.pk) in actions_seen


def test_the_patient_downloads_their_own_fhir_record(personas, client_for, record, other_record):
    response = client_for("patient").get(reverse("my_record_json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    resources = validate_bundle(json.loads(response.content))
    assert resources[0]["id"] == str(personas.care_team.pk)
    assert {r["id"] for r in by_type(resources, "CarePlan")} == {str(record.course.pk)}
    assert AuditEvent.objects.filter(action="record.json.download", actor=personas.patient).count() == 1
    for persona in ("therapist", "admin"):
        assert client_for(persona).get(reverse("my_record_json")).status_code == 403


def test_the_patient_meets_the_problem_areas_only_with_a_shared_formulation(personas, client_for, record):
    record.course.formulations.update(shared_at=None)
    patient = validate_bundle(get_json(client_for("patient"), everything_url(personas.care_team)))
    assert not by_type(patient, "Goal")
    assert by_type(patient, "CarePlan")[0]["activity"][0]["detail"]["code"]["text"].endswith("sessions")
    therapist = validate_bundle(get_json(client_for("therapist"), everything_url(personas.care_team)))
    assert len(by_type(therapist, "Goal")) == 1


def test_a_clinic_instrument_code_becomes_a_valid_fhir_id():
    assert questionnaire_id("cssrs-screen") == "cssrs-screen"
    assert questionnaire_id("my_clinic/scale v2") == "my-clinic-scale-v2"


def test_appointments_keep_their_fhir_status_and_link_the_encounter_they_led_to(personas, client_for, record):
    resources = validate_bundle(get_json(client_for("patient"), reverse("my_record_json")))
    appointments = by_type(resources, "Appointment")
    assert sorted(a["status"] for a in appointments) == ["booked", "cancelled", "fulfilled"]
    fulfilled = next(a for a in appointments if a["status"] == "fulfilled")
    assert fulfilled["minutesDuration"] == 50
    assert {p["actor"]["reference"].split("/")[0] for p in fulfilled["participant"]} == {
        "Patient",
        "Practitioner",
    }
    encounter = next(e for e in by_type(resources, "Encounter") if e["id"] == str(record.encounters[-1].pk))
    assert encounter["appointment"] == [{"reference": f"Appointment/{fulfilled['id']}"}]
    (consent,) = by_type(resources, "Consent")
    assert consent["policyRule"]["text"].endswith("version 1") and consent["patient"]["reference"].startswith(
        "Patient/"
    )
