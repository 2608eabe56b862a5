"""The patient's communication feedback page and its API: access, highlighting, escaping, bad input."""

import pytest
from django.urls import reverse

from ipt.audit.models import AuditEvent

URL = reverse("my_communication_feedback")
API = "/api/v1/practice/communication-feedback"


@pytest.fixture
def patient(client_for):
    return client_for("patient")


def test_the_patient_sees_the_form_and_is_told_nothing_is_saved(patient):
    response = patient.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "What would you like to say, and to whom?" in html
    assert "Nothing you type here is saved" in html


@pytest.mark.parametrize("persona", ["therapist", "supervisor", "admin"])
def test_staff_may_not_use_the_patients_page(client_for, persona):
    assert client_for(persona).get(URL).status_code == 403
    assert client_for(persona).post(URL, {"text": "You never listen."}).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client_for):
    response = client_for("anonymous").get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_feedback_highlights_the_words_and_puts_strengths_before_suggestions(patient):
    text = "I felt hurt last night when you checked your phone. You never listen!"
    html = patient.post(URL, {"text": text}).content.decode()
    assert '<mark class="cf-strength" title="An I statement about your feelings">I felt hurt' in html
    assert '<mark class="cf-problem" title="Blame or a you-accusation">You never' in html
    assert html.index("What you did well") < html.index("Things to try")


def test_at_most_two_suggestions_are_shown(patient):
    html = patient.post(
        URL, {"text": "You always do this, you're pathetic. It's your fault. Whatever."}
    ).content
    html = html.decode()
    section = html[html.index('<ul class="cf-suggestions">') :]
    section = section[: section.index("</ul>")]
    assert section.count("<li>") == 2


def test_user_text_is_escaped_inside_and_outside_the_highlights(patient):
    text = "<script>alert(1)</script> You never <b>listen</b>"
    html = patient.post(URL, {"text": text}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<b>listen</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;listen&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please write what you would like to say"),
        ("   \n ", "Please write what you would like to say"),
        ("x" * 2001, "please keep it to 2000 or fewer"),
    ],
)
def test_empty_or_too_long_input_gives_a_clear_message(patient, text, message):
    response = patient.post(URL, {"text": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "What you did well" not in html


def test_nothing_is_stored_and_no_audit_row_is_written(patient):
    before = AuditEvent.objects.count()
    patient.post(URL, {"text": "SECRET-MESSAGE you never listen"})
    assert AuditEvent.objects.count() == before


def test_one_patients_text_is_never_shown_to_another_patient(client_for):
    client_for("patient").post(URL, {"text": "SECRET-PAULA I feel lonely"})
    html = client_for("other_patient").get(URL).content.decode()
    assert "SECRET-PAULA" not in html


def test_the_api_returns_the_analysis(patient):
    response = patient.post(
        API, {"text": "I know you're busy. Could you call me tonight?"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"features", "findings", "strengths", "suggestions"}
    assert {"acknowledge_other_view", "clear_request", "specific_situation"} <= set(body["features"])
    request = next(f for f in body["findings"] if f["feature"] == "clear_request")
    assert request["kind"] == "strength" and request["words"] == ["Could you"]
    assert request["spans"] == [[20, 29]]


@pytest.mark.parametrize("payload", [{"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {}, {"text": 5}])
def test_the_api_rejects_empty_missing_or_too_long_text_with_422(patient, payload):
    response = patient.post(API, payload, content_type="application/json")
    assert response.status_code == 422


def test_the_api_is_for_signed_in_patients_only(client_for):
    payload = {"text": "You never listen."}
    assert client_for("anonymous").post(API, payload, content_type="application/json").status_code == 401
    assert client_for("therapist").post(API, payload, content_type="application/json").status_code == 403
