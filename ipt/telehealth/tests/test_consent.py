"""The telehealth consent: signing with a typed name, time and IP; versions; admin-only publishing."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.telehealth.consent_actions import name_matches, publish_consent_document
from ipt.telehealth.models import ConsentDocument, ConsentSignature
from ipt.telehealth.readiness import current_consent_document, has_current_consent

MY_CONSENT = "/my/telehealth-consent/"
DOCUMENTS = "/telehealth/consent-documents/"


def ensure_consent_version_1() -> None:
    """The seeded version 1 (a flush after a transactional test removes migration data)."""
    migration = importlib.import_module("ipt.telehealth.migrations.0002_consent_version_1")
    migration.publish_version_1(django_apps, None)


@pytest.fixture(autouse=True)
def consent_version_1(db):
    ensure_consent_version_1()


def sign(client, name="Paula Tient", *, agree=True, version=None, **extra):
    document = current_consent_document()
    data = {"typed_name": name, "version": version or document.version}
    if agree:
        data["agree"] = "on"
    data.update(extra.pop("data", {}))
    return client.post(MY_CONSENT + extra.pop("query", ""), data, **extra)


def test_version_1_is_published_by_the_migration_in_plain_language(db):
    ConsentDocument.objects.all().delete()
    ensure_consent_version_1()
    ensure_consent_version_1()  # once only
    assert ConsentDocument.objects.count() == 1
    document = current_consent_document()
    assert document is not None and document.version == 1
    for words in ("never record", "not an emergency service", "call drops", "callback", "withdraw"):
        assert words in document.body.replace("phone number to call back", "callback")


def test_a_patient_signs_with_their_typed_name_and_the_time_and_ip_are_kept(personas, client_for):
    client = client_for("patient")
    page = client.get(MY_CONSENT)
    assert page.status_code == 200
    assert "Consent to therapy by video" in page.content.decode()
    assert "<h3>What video sessions are</h3>" in page.content.decode()
    assert not has_current_consent(personas.patient)

    response = sign(client, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 302 and response["Location"] == MY_CONSENT
    signature = ConsentSignature.objects.get(patient=personas.patient)
    assert signature.document.version == 1
    assert signature.typed_name == "Paula Tient"
    assert signature.ip_address == "203.0.113.7"  # no trusted proxy: X-Forwarded-For is ignored
    assert signature.signed_at is not None
    assert has_current_consent(personas.patient)
    event = AuditEvent.objects.get(action="telehealth_consent.sign")
    assert event.actor == personas.patient and event.patient == personas.patient
    assert "Paula" not in str(event.detail)
    assert "You signed version 1 on" in client.get(MY_CONSENT).content.decode()


@pytest.mark.parametrize("typed", ["paula tient", "  PAULA   Tient ", "PaulaTient"])
def test_the_typed_name_matches_whatever_the_case_and_spaces(personas, client_for, typed):
    assert sign(client_for("patient"), typed).status_code == 302
    assert has_current_consent(personas.patient)


@pytest.mark.parametrize("typed", ["Paula", "Oscar Patient", "Paula Tient-Smith", "x"])
def test_another_name_is_refused_with_a_clear_message_and_nothing_is_stored(personas, client_for, typed):
    response = sign(client_for("patient"), typed)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please type your full name as it appears on your account (Paula Tient)" in body
    assert f'value="{typed}"' in body  # what they typed is kept
    assert not ConsentSignature.objects.exists()
    assert not AuditEvent.objects.filter(action="telehealth_consent.sign").exists()


def test_signing_needs_the_agreement_ticked(personas, client_for):
    response = sign(client_for("patient"), agree=False)
    assert response.status_code == 400
    assert "Please tick the box to say you have read it and agree." in response.content.decode()
    assert not ConsentSignature.objects.exists()


def test_an_account_without_a_name_accepts_the_name_the_patient_types(personas):
    personas.patient.first_name = personas.patient.last_name = ""
    assert name_matches(personas.patient, "Paula Tient")
    assert not name_matches(personas.patient, " ")


def test_the_signed_date_is_shown_in_the_patients_time_zone(personas, client_for):
    personas.patient.time_zone = "Pacific/Auckland"
    personas.patient.save()
    ConsentSignature.objects.create(
        document=current_consent_document(),
        patient=personas.patient,
        typed_name="Paula Tient",
        signed_at=datetime(2026, 1, 1, 12, 30, tzinfo=UTC),  # 2 January, 01:30 in Auckland
    )
    body = client_for("patient").get(MY_CONSENT).content.decode()
    assert "You signed version 1 on 2 January 2026 at 01:30." in body


def test_a_new_version_asks_again_and_the_patient_signs_it(personas, client_for):
    patient = client_for("patient")
    sign(patient)
    assert has_current_consent(personas.patient)

    response = client_for("admin").post(
        DOCUMENTS, {"title": "Consent to therapy by video", "body": "Version two.\n\nNew words."}
    )

    assert response.status_code == 302
    assert current_consent_document().version == 2
    assert not has_current_consent(personas.patient)
    page = patient.get(MY_CONSENT).content.decode()
    assert "Sign version 2" in page and "The consent has changed since you last signed it" in page
    assert "Version 1, signed on" in page
    assert sign(patient).status_code == 302
    assert has_current_consent(personas.patient)
    assert ConsentSignature.objects.filter(patient=personas.patient).count() == 2


def test_a_signature_posted_for_a_replaced_version_is_refused(personas, client_for):
    publish_consent_document(actor=personas.admin, title="Consent", body="Version two.")
    response = sign(client_for("patient"), version=1)
    assert response.status_code == 400
    assert "A new version was published while you were reading" in response.content.decode()
    assert not ConsentSignature.objects.exists()


def test_signing_twice_keeps_the_first_signature(personas, client_for):
    client = client_for("patient")
    sign(client, REMOTE_ADDR="203.0.113.7")
    assert sign(client, REMOTE_ADDR="203.0.113.8").status_code == 302
    assert list(ConsentSignature.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]


def test_next_returns_the_patient_to_a_local_page_only(personas, client_for):
    client = client_for("patient")
    join = "/appointments/8d1f6f0e-3d4b-4a51-9a8b-0c1d2e3f4a5b/join/"
    response = sign(client, query=f"?next={join}", data={"next": join})
    assert response["Location"] == join
    page = client.get(MY_CONSENT, {"next": join}).content.decode()
    assert f'href="{join}"' in page and "Continue to your session" in page


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_next_to_another_site_is_ignored(personas, client_for, target):
    response = sign(client_for("patient"), data={"next": target})
    assert response.status_code == 302 and response["Location"] == MY_CONSENT


@pytest.mark.parametrize("persona", ["therapist", "supervisor", "admin"])
def test_staff_do_not_sign_the_patient_consent(personas, client_for, persona):
    client = client_for(persona)
    assert client.get(MY_CONSENT).status_code == 403
    assert (
        client.post(MY_CONSENT, {"typed_name": "Paula Tient", "agree": "on", "version": 1}).status_code == 403
    )
    assert not ConsentSignature.objects.exists()


def test_an_admin_sees_every_version_with_its_signature_count(personas, client_for):
    sign(client_for("patient"))
    sign(client_for("other_patient"), "Oscar Patient")
    publish_consent_document(actor=personas.admin, title="Consent, second edition", body="Two.")
    response = client_for("admin").get(DOCUMENTS)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="signature-count-1">2<' in body
    assert 'data-testid="signature-count-2">0<' in body
    assert "Consent, second edition" in body


def test_publishing_takes_the_next_number_now_and_is_audited(personas, client_for):
    response = client_for("admin").post(DOCUMENTS, {"title": "  New title ", "body": "New body."})
    assert response.status_code == 302
    document = ConsentDocument.objects.get(version=2)
    assert (document.title, document.body) == ("New title", "New body.")
    assert current_consent_document() == document
    event = AuditEvent.objects.get(action="telehealth_consent.publish")
    assert event.actor == personas.admin and event.detail == {"version": 2}


def test_publishing_without_a_title_or_text_is_refused(personas, client_for):
    response = client_for("admin").post(DOCUMENTS, {"title": "", "body": " "})
    assert response.status_code == 400
    assert ConsentDocument.objects.count() == 1


@pytest.mark.parametrize(
    "persona", ["therapist", "other_therapist", "supervisor", "patient", "other_patient"]
)
def test_only_an_admin_publishes_a_version(personas, client_for, persona):
    client = client_for(persona)
    assert client.get(DOCUMENTS).status_code == 403
    response = client.post(DOCUMENTS, {"title": "Sneaky", "body": "Sneaky text."})
    assert response.status_code == 403
    assert ConsentDocument.objects.count() == 1
    assert not AuditEvent.objects.filter(action="telehealth_consent.publish").exists()


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    for path in (MY_CONSENT, DOCUMENTS):
        response = client.get(path)
        assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.post(DOCUMENTS, {"title": "x", "body": "y"}).status_code == 302
    assert ConsentDocument.objects.count() == 1


def test_with_no_published_version_there_is_nothing_to_sign(personas, client_for):
    ConsentDocument.objects.all().delete()
    client = client_for("patient")
    assert "There is no consent to sign yet." in client.get(MY_CONSENT).content.decode()
    assert (
        client.post(MY_CONSENT, {"typed_name": "Paula Tient", "agree": "on", "version": 1}).status_code == 200
    )
    assert not ConsentSignature.objects.exists()
