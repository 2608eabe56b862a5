"""Joining a video session: consent first, then where the patient is (country, region, address,
privacy, callback number); who may join and when; what the therapist sees, with the licensing warning.
"""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.scheduling.models import Appointment, AppointmentStatus, TherapistProfile
from ipt.telehealth import regions
from ipt.telehealth.access import jurisdiction_notice, jurisdiction_warning, location_summary
from ipt.telehealth.models import ConsentSignature, LocationCheck
from ipt.telehealth.readiness import current_consent_document
from ipt.telehealth.tests.test_consent import consent_version_1  # noqa: F401 (autouse fixture)

VALID = {
    "country": "US",
    "region": "US-NY",
    "emergency_address": "12 Hope Street, Apt 3, Brooklyn NY 11201",
    "is_private": "on",
    "callback_number": "+1 (212) 555-0100",
}


def make_appointment(therapist, patient, *, starts_in=timedelta(minutes=5), status=AppointmentStatus.BOOKED):
    start = timezone.now() + starts_in
    return Appointment.objects.create(
        therapist=therapist,
        patient=patient,
        start=start,
        end=start + timedelta(minutes=50),
        status=status,
        created_by=therapist,
    )


def consent(patient) -> None:
    ConsentSignature.objects.create(document=current_consent_document(), patient=patient, typed_name="x")


def join_url(appointment) -> str:
    return reverse("join_session", args=[appointment.pk])


def license(therapist, codes: str) -> None:
    TherapistProfile.objects.update_or_create(therapist=therapist, defaults={"licensed_jurisdictions": codes})


@pytest.fixture
def appointment(personas):
    return make_appointment(personas.therapist, personas.patient)


@pytest.fixture
def ready(personas, appointment):
    """The patient has signed the consent; the session starts in five minutes."""
    consent(personas.patient)
    return appointment


def test_without_consent_the_patient_is_sent_to_sign_it_and_back(personas, client_for, appointment):
    response = client_for("patient").get(join_url(appointment))
    assert response.status_code == 302
    assert (
        response["Location"] == f"/my/telehealth-consent/?next=%2Fappointments%2F{appointment.pk}%2Fjoin%2F"
    )
    signed = client_for("patient").post(
        response["Location"], {"typed_name": "Paula Tient", "agree": "on", "version": 1}
    )
    assert signed["Location"] == join_url(appointment)


def test_the_patient_confirms_where_they_are_and_goes_to_the_waiting_room(personas, client_for, ready):
    client = client_for("patient")
    page = client.get(join_url(ready))
    assert page.status_code == 200
    assert "Where are you today?" in page.content.decode()

    response = client.post(join_url(ready), VALID, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 302
    assert response["Location"] == reverse("waiting_room", args=[ready.pk])
    check = LocationCheck.objects.get(appointment=ready)
    assert (check.country, check.region, check.is_private) == ("US", "US-NY", True)
    assert check.emergency_address == VALID["emergency_address"]
    assert check.callback_number == "+1 (212) 555-0100"
    event = AuditEvent.objects.get(action="location_check.confirm")
    assert event.patient == personas.patient and event.ip == "203.0.113.9"
    assert "Brooklyn" not in str(event.detail) and "555-0100" not in str(event.detail)


def test_a_rejoin_updates_the_same_location_check(personas, client_for, ready):
    client = client_for("patient")
    client.post(join_url(ready), VALID)
    first = LocationCheck.objects.get(appointment=ready)
    moved = {**VALID, "country": "CA", "region": "CA-ON", "emergency_address": "1 Queen St, Toronto"}

    assert client.post(join_url(ready), moved).status_code == 302

    check = LocationCheck.objects.get(appointment=ready)
    assert check.pk == first.pk and (check.country, check.region) == ("CA", "CA-ON")
    assert check.emergency_address == "1 Queen St, Toronto" and check.confirmed_at >= first.confirmed_at
    assert AuditEvent.objects.filter(action="location_check.confirm").count() == 2


def test_the_form_is_filled_in_from_the_patients_previous_session(personas, client_for, ready):
    earlier = make_appointment(
        personas.therapist, personas.patient, starts_in=-timedelta(days=7), status=AppointmentStatus.FULFILLED
    )
    LocationCheck.objects.create(
        appointment=earlier,
        country="US",
        region="US-NJ",
        emergency_address="9 Elm Road, Newark",
        is_private=True,
        callback_number="+1 973 555 0199",
    )
    body = client_for("patient").get(join_url(ready)).content.decode()
    assert '<option value="US" selected>' in body
    assert '<option value="US-NJ" selected>New Jersey</option>' in body
    assert "9 Elm Road, Newark" in body
    assert 'value="+1 973 555 0199"' in body
    private_box = re.search(r'<input type="checkbox" name="is_private"[^>]*>', body)
    assert private_box is not None and "checked" not in private_box.group()  # asked afresh every time
    assert AuditEvent.objects.filter(action="location_check.read", patient=personas.patient).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "", "Please choose the country you are in now."),
        ("country", "XX", "Please choose the country you are in now."),
        ("region", "", "Please choose the state, province or region you are in now."),
        ("region", "CA-ON", "Please choose a region of the country you chose."),
        ("emergency_address", "  ", "Please give the address where you are now, in case of an emergency."),
        ("is_private", None, "Please find a private place first, then tick this box."),
        ("callback_number", "", "Please give a phone number your therapist can call if the video drops."),
        ("callback_number", "call me maybe", "Use only digits, spaces, +, - and brackets"),
        ("callback_number", "555-01", "A phone number has between 6 and 20 digits"),
        ("callback_number", "1" * 21, "A phone number has between 6 and 20 digits"),
    ],
)
def test_each_field_is_checked_with_a_clear_message_and_the_answers_kept(
    personas, client_for, ready, field, value, message
):
    data = {**VALID, field: value}
    if value is None:
        del data[field]
    response = client_for("patient").post(join_url(ready), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    if field != "emergency_address":
        assert "12 Hope Street, Apt 3, Brooklyn NY 11201" in body
    if field != "callback_number":
        assert 'value="+1 (212) 555-0100"' in body
    assert not LocationCheck.objects.exists()
    assert not AuditEvent.objects.filter(action="location_check.confirm").exists()


def test_a_country_without_regions_needs_none(personas, client_for, ready):
    assert regions.region_choices("VA") == []
    response = client_for("patient").post(join_url(ready), {**VALID, "country": "VA", "region": ""})
    assert response.status_code == 302
    assert LocationCheck.objects.get(appointment=ready).jurisdiction == "VA"


@pytest.mark.parametrize(
    ("country", "present", "absent"),
    [
        ("US", ("US-NY", "New York"), "CA-ON"),
        ("CA", ("CA-ON", "Ontario"), "US-NY"),
        ("GB", ("GB-ENG", "Wales"), "GB-KEC"),
    ],
)
def test_the_region_list_follows_the_chosen_country(personas, client_for, ready, country, present, absent):
    response = client_for("patient").get(join_url(ready), {"country": country}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="region-field"' in body
    for text in present:
        assert text in body
    assert f'value="{absent}"' not in body


def test_without_javascript_the_region_list_refreshes_without_saving(personas, client_for, ready):
    response = client_for("patient").post(join_url(ready), {"country": "CA", "intent": "regions"})
    assert response.status_code == 200
    assert 'value="CA-ON"' in response.content.decode()
    assert not LocationCheck.objects.exists()


@pytest.mark.parametrize(
    ("starts_in", "message"),
    [
        (timedelta(hours=2), "It is too early to join. You can join from"),
        (-timedelta(hours=3), "The time to join this session has passed."),
    ],
)
def test_outside_the_call_window_joining_is_refused(personas, client_for, starts_in, message):
    consent(personas.patient)
    appointment = make_appointment(personas.therapist, personas.patient, starts_in=starts_in)
    client = client_for("patient")
    response = client.get(join_url(appointment))
    assert response.status_code == 409 and message in response.content.decode()
    assert client.post(join_url(appointment), VALID).status_code == 409
    assert not LocationCheck.objects.exists()


def test_the_too_early_message_gives_the_opening_time_in_the_patients_zone(personas, client_for):
    personas.patient.time_zone = "Asia/Kolkata"  # UTC+05:30
    personas.patient.save()
    consent(personas.patient)
    appointment = make_appointment(personas.therapist, personas.patient, starts_in=timedelta(hours=2))
    opens = appointment.start - timedelta(minutes=15) + timedelta(hours=5, minutes=30)
    body = client_for("patient").get(join_url(appointment)).content.decode()
    assert f"You can join from {opens:%H:%M}" in body


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (AppointmentStatus.CANCELLED, "This session was cancelled"),
        (AppointmentStatus.FULFILLED, "already taken place"),
        (AppointmentStatus.NOSHOW, "marked as missed"),
        (AppointmentStatus.PROPOSED, "not been confirmed yet"),
    ],
)
def test_a_session_that_is_not_booked_cannot_be_joined(personas, client_for, status, message):
    consent(personas.patient)
    appointment = make_appointment(personas.therapist, personas.patient, status=status)
    client = client_for("patient")
    response = client.post(join_url(appointment), VALID)
    assert response.status_code == 409 and message in response.content.decode()
    assert not LocationCheck.objects.exists()


def test_a_patient_in_session_can_rejoin_after_a_drop(personas, client_for):
    consent(personas.patient)
    appointment = make_appointment(personas.therapist, personas.patient, status=AppointmentStatus.ARRIVED)
    assert client_for("patient").post(join_url(appointment), VALID).status_code == 302


def test_another_patients_appointment_is_not_found(personas, client_for, ready):
    consent(personas.other_patient)
    client = client_for("other_patient")
    assert client.get(join_url(ready)).status_code == 404
    assert client.post(join_url(ready), VALID).status_code == 404
    assert not LocationCheck.objects.exists()


@pytest.mark.parametrize("persona", ["therapist", "other_therapist", "supervisor", "admin"])
def test_staff_do_not_join_from_the_patients_page(personas, client_for, ready, persona):
    client = client_for(persona)
    assert client.get(join_url(ready)).status_code == 403
    assert client.post(join_url(ready), VALID).status_code == 403
    assert not LocationCheck.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, ready):
    response = client.post(join_url(ready), VALID)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not LocationCheck.objects.exists()


# Licensing: a country code covers all its regions, a region code only itself ----------------------


@pytest.mark.parametrize(
    ("licensed", "country", "region", "covered"),
    [
        (["US"], "US", "US-NY", True),
        (["US-NY"], "US", "US-NY", True),
        (["US-NJ"], "US", "US-NY", False),
        (["US-NY", "US-NJ"], "US", "US-NJ", True),
        (["CA"], "US", "US-NY", False),
        (["us-ny"], "US", "US-NY", True),
        (["GB-ENG"], "GB", "GB-ENG", True),
        (["GB-ENG"], "GB", "GB-SCT", False),
        (["GB-ENG"], "GB", "GB-KEC", True),  # ISO 3166-2 places Kensington and Chelsea in England
        (["GB-KEC"], "GB", "GB-ENG", False),
        (["US-NY"], "US", "", False),
        (["VA"], "VA", "", True),
        ([], "US", "US-NY", False),
    ],
)
def test_which_licences_cover_a_place(licensed, country, region, covered):
    assert regions.is_covered(licensed, country, region) is covered


def confirmed(appointment, country="US", region="US-NY") -> LocationCheck:
    return LocationCheck.objects.create(
        appointment=appointment,
        country=country,
        region=region,
        emergency_address="12 Hope Street, Brooklyn",
        is_private=True,
        callback_number="+1 212 555 0100",
    )


def test_the_warning_names_the_place_and_the_licences(personas, appointment):
    license(personas.therapist, "US-NJ, US-CT")
    assert jurisdiction_warning(appointment) is None  # nothing confirmed yet
    confirmed(appointment)
    warning = jurisdiction_warning(appointment)
    assert warning is not None
    assert "New York, United States" in warning and "US-NJ, US-CT" in warning
    assert jurisdiction_notice(appointment) is None


def test_a_country_licence_covers_every_region_and_gives_no_warning(personas, appointment):
    license(personas.therapist, "US")
    confirmed(appointment)
    assert jurisdiction_warning(appointment) is None


def test_no_licences_recorded_gives_a_softer_notice_not_a_warning(personas, appointment):
    confirmed(appointment)
    assert jurisdiction_warning(appointment) is None
    assert "No licensed jurisdictions are recorded" in jurisdiction_notice(appointment)
    assert not TherapistProfile.objects.exists()  # reading never creates a profile


def test_the_summary_has_names_and_audits_the_read_when_a_viewer_is_given(personas, appointment):
    confirmed(appointment)
    summary = location_summary(appointment)
    assert summary is not None
    assert (summary["country_name"], summary["region_name"]) == ("United States", "New York")
    assert not AuditEvent.objects.filter(action="location_check.read").exists()
    location_summary(appointment, viewer=personas.therapist)
    event = AuditEvent.objects.get(action="location_check.read")
    assert event.actor == personas.therapist and event.patient == personas.patient


def render_location_check(user, appointment) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("telehealth/_location_check.html", {"appointment": appointment}, request=request)


def test_the_therapist_sees_where_the_patient_is_with_the_warning(personas, appointment):
    personas.therapist.time_zone = "America/New_York"
    personas.therapist.save()
    license(personas.therapist, "US-NJ")
    check = confirmed(appointment)
    html = render_location_check(personas.therapist, appointment)
    assert 'data-testid="jurisdiction-warning"' in html
    assert "New York (US-NY)" in html and "United States (US)" in html
    assert "12 Hope Street, Brooklyn" in html and "+1 212 555 0100" in html
    assert "<dd>Yes</dd>" in html
    local = timezone.localtime(check.confirmed_at, ZoneInfo("America/New_York"))
    assert f"<dd>{local.day} {local:%b %Y, %H:%M}</dd>" in html
    assert AuditEvent.objects.filter(action="location_check.read", actor=personas.therapist).count() == 1


def test_the_supervisor_sees_it_and_a_licensed_place_shows_no_warning(personas, appointment):
    license(personas.therapist, "US")
    confirmed(appointment)
    html = render_location_check(personas.supervisor, appointment)
    assert "12 Hope Street, Brooklyn" in html and "jurisdiction-warning" not in html


@pytest.mark.parametrize("persona", ["patient", "other_patient", "other_therapist", "admin"])
def test_the_location_panel_shows_nothing_to_anyone_else(personas, appointment, persona):
    confirmed(appointment)
    html = render_location_check(getattr(personas, persona), appointment)
    assert html.strip() == ""
    assert not AuditEvent.objects.filter(action="location_check.read").exists()


def test_an_unknown_country_gets_no_regions_and_no_error_page(personas, client_for, ready):
    response = client_for("patient").get(join_url(ready), {"country": "<b>XX"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "No region is needed" not in body and "<b>XX" not in body
