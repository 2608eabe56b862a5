"""The waiting room, admit, the call page and ending: who may, when, where each goes, what changes."""

import json
import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.telehealth.models import ConsentDocument, ConsentSignature, LocationCheck
from ipt.telehealth.views.call import lobby_entries
from ipt.visits.models import Encounter
from ipt.visits.tests.conftest import make_course

pytestmark = pytest.mark.django_db


def sign_consent(patient) -> None:
    document, _created = ConsentDocument.objects.get_or_create(
        version=1,
        defaults={
            "title": "Telehealth consent",
            "body": "Sessions happen over video.",
            "published_at": timezone.now() - timedelta(days=1),
        },
    )
    ConsentSignature.objects.get_or_create(document=document, patient=patient, defaults={"typed_name": "P"})


def confirm_location(appointment, region="IE-D") -> LocationCheck:
    return LocationCheck.objects.create(
        appointment=appointment,
        country=region[:2],
        region=region,
        emergency_address="1 Main Street, Dublin",
        is_private=True,
        callback_number="+353 1 234 5678",
    )


def appointment_for(
    personas,
    *,
    status=AppointmentStatus.BOOKED,
    starts_in=timedelta(minutes=5),
    consent=True,
    location=True,
    course_status=CourseStatus.MIDDLE,
) -> Appointment:
    course = make_course(personas.care_team, course_status) if course_status else None
    start = timezone.now() + starts_in
    appointment = Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        course=course,
        start=start,
        end=start + timedelta(minutes=50),
        status=status,
        created_by=personas.therapist,
    )
    if consent:
        sign_consent(personas.patient)
    if location:
        confirm_location(appointment)
    return appointment


def admitted(personas, client_for, **options) -> Appointment:
    appointment = appointment_for(personas, **options)
    response = client_for("therapist").post(
        reverse("admit_patient", args=[appointment.pk]), {"intent": "admit"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED
    return appointment


def url(name: str, appointment) -> str:
    return reverse(name, args=[appointment.pk])


# The waiting room -------------------------------------------------------------------------------


def test_a_ready_patient_in_the_call_window_gets_a_calm_waiting_room_with_crisis_help(personas, client_for):
    appointment = appointment_for(personas)

    response = client_for("patient").get(url("waiting_room", appointment))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your therapist will let you in shortly" in page
    assert f'data-ws-path="/ws/appointments/{appointment.pk}/waiting/"' in page
    assert reverse("crisis") in page
    assert "js/waiting-room.js" in page
    assert AuditEvent.objects.filter(
        action="telehealth.waiting_room.open", object_id=str(appointment.pk), actor=personas.patient
    ).exists()


@pytest.mark.parametrize(
    "options",
    [
        {"consent": False},
        {"location": False},
        {"starts_in": timedelta(hours=3)},
        {"starts_in": -timedelta(hours=3)},
        {"status": AppointmentStatus.CANCELLED},
        {"status": AppointmentStatus.FULFILLED},
    ],
    ids=["no consent", "no location", "too early", "too late", "cancelled", "fulfilled"],
)
def test_a_patient_who_may_not_wait_yet_is_sent_to_the_join_page(personas, client_for, options):
    appointment = appointment_for(personas, **options)

    response = client_for("patient").get(url("waiting_room", appointment))

    assert response.status_code == 302
    assert response["Location"] == url("join_session", appointment)
    appointment.refresh_from_db()
    assert appointment.waiting_since is None


def test_a_patient_already_admitted_goes_straight_to_the_call(personas, client_for):
    appointment = admitted(personas, client_for)

    response = client_for("patient").get(url("waiting_room", appointment))

    assert response.status_code == 302
    assert response["Location"] == url("video_call", appointment)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("other_patient", 404), ("therapist", 403), ("supervisor", 403), ("admin", 403), ("anonymous", 302)],
)
def test_only_the_appointments_patient_may_open_its_waiting_room(personas, client_for, persona, status):
    appointment = appointment_for(personas)

    response = client_for(persona).get(url("waiting_room", appointment))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert not AuditEvent.objects.filter(action="telehealth.waiting_room.open").exists()


# Admitting -----------------------------------------------------------------------------------


def test_admitting_moves_the_appointment_to_arrived_opens_the_encounter_and_goes_to_the_call(
    personas, client_for
):
    appointment = appointment_for(personas)
    appointment.waiting_since = timezone.now()
    appointment.save(update_fields=["waiting_since"])

    response = client_for("therapist").post(url("admit_patient", appointment), {"intent": "admit"})

    assert response.status_code == 302
    assert response["Location"] == url("video_call", appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED
    assert appointment.arrived_at is not None
    assert appointment.waiting_since is None
    assert Encounter.objects.filter(pk=appointment.encounter_id, course=appointment.course).exists()


def test_admitting_without_a_course_in_a_session_phase_says_why_and_changes_nothing(personas, client_for):
    appointment = appointment_for(personas, course_status=None)

    response = client_for("therapist").post(
        url("admit_patient", appointment), {"intent": "admit"}, follow=False
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("schedule")
    message = [str(m) for m in response.wsgi_request._messages]
    assert any("not linked to a treatment course" in text for text in message)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.encounter_id is None
    assert not Encounter.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("other_therapist", 404), ("patient", 403), ("supervisor", 403), ("admin", 403), ("anonymous", 302)],
)
def test_only_the_appointments_therapist_may_admit(personas, client_for, persona, status):
    appointment = appointment_for(personas)

    response = client_for(persona).post(url("admit_patient", appointment), {"intent": "admit"})

    assert response.status_code == status
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert not Encounter.objects.exists()


def test_admitting_needs_a_post(personas, client_for):
    appointment = appointment_for(personas)

    response = client_for("therapist").get(url("admit_patient", appointment))

    assert response.status_code == 405
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


# The call page --------------------------------------------------------------------------------


def test_both_members_get_the_call_page_with_its_test_hooks_ice_servers_and_socket(
    personas, client_for, settings
):
    settings.IPT_STUN_URLS = ["stun:stun.example.test:3478"]
    settings.IPT_TURN_URLS = ["turn:turn.example.test:3478?transport=udp"]
    settings.IPT_TURN_SECRET = "shared-secret"
    appointment = admitted(personas, client_for)

    for persona, role in (("therapist", "therapist"), ("patient", "patient")):
        response = client_for(persona).get(url("video_call", appointment))

        assert response.status_code == 200
        page = response.content.decode()
        for hook in ("call-state", "remote-video", "call-quality", "chat-input", "chat-send", "chat-log"):
            assert f'data-testid="{hook}"' in page
        assert f'data-ws-path="/ws/appointments/{appointment.pk}/call/"' in page
        assert f'data-role="{role}"' in page
        ice = json.loads(
            re.search(r'<script id="ice-servers" type="application/json">(.*?)</script>', page)[1]
        )
        assert ice[0] == {"urls": ["stun:stun.example.test:3478"]}
        assert ice[1]["username"].endswith(f":{getattr(personas, persona).pk}")
        assert ice[1]["credential"]
        assert AuditEvent.objects.filter(
            action="telehealth.call.open", object_id=str(appointment.pk), actor=getattr(personas, persona)
        ).exists()


def test_only_the_therapist_gets_the_end_form_and_only_the_patient_the_crisis_note_and_leave_link(
    personas, client_for
):
    appointment = admitted(personas, client_for)

    therapist_page = client_for("therapist").get(url("video_call", appointment)).content.decode()
    patient_page = client_for("patient").get(url("video_call", appointment)).content.decode()

    assert f'action="{url("end_call", appointment)}"' in therapist_page
    assert 'data-testid="leave-call"' not in therapist_page
    assert f'action="{url("end_call", appointment)}"' not in patient_page
    assert 'data-testid="leave-call"' in patient_page
    assert f'href="{reverse("crisis")}"' in patient_page


def test_the_call_page_carries_no_inline_script(personas, client_for):
    appointment = admitted(personas, client_for)

    page = client_for("therapist").get(url("video_call", appointment)).content.decode()

    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "style=" not in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("other_patient", 404),
        ("other_therapist", 404),
        ("supervisor", 403),
        ("admin", 403),
        ("anonymous", 302),
    ],
)
def test_nobody_but_the_two_members_reaches_the_call(personas, client_for, persona, status):
    appointment = admitted(personas, client_for)

    response = client_for(persona).get(url("video_call", appointment))

    assert response.status_code == status
    assert not AuditEvent.objects.filter(action="telehealth.call.open").exists()


def test_before_admission_the_patient_is_sent_to_the_waiting_room_and_the_therapist_to_the_schedule(
    personas, client_for
):
    appointment = appointment_for(personas)

    assert client_for("patient").get(url("video_call", appointment))["Location"] == url(
        "waiting_room", appointment
    )
    assert client_for("therapist").get(url("video_call", appointment))["Location"] == reverse("schedule")


def test_outside_the_call_window_nobody_gets_the_call_page(personas, client_for):
    appointment = admitted(personas, client_for)
    Appointment.objects.filter(pk=appointment.pk).update(
        start=timezone.now() - timedelta(hours=5), end=timezone.now() - timedelta(hours=4)
    )

    assert client_for("patient").get(url("video_call", appointment))["Location"] == reverse("my_appointments")
    assert client_for("therapist").get(url("video_call", appointment))["Location"] == reverse("schedule")


# Ending ------------------------------------------------------------------------------------------


def test_ending_fulfils_the_appointment_and_takes_the_therapist_to_the_session_note(personas, client_for):
    appointment = admitted(personas, client_for)

    response = client_for("therapist").post(url("end_call", appointment), {"intent": "end"})

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.FULFILLED
    assert appointment.fulfilled_at is not None
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "session_note", args=[appointment.course_id, appointment.encounter_id]
    )


def test_after_the_end_the_patient_sees_the_ended_page_and_the_therapist_the_note(personas, client_for):
    appointment = admitted(personas, client_for)
    client_for("therapist").post(url("end_call", appointment), {"intent": "end"})

    patient = client_for("patient").get(url("video_call", appointment))
    therapist = client_for("therapist").get(url("video_call", appointment))

    assert patient.status_code == 200
    assert "Your session has ended" in patient.content.decode()
    assert therapist["Location"] == reverse(
        "session_note", args=[appointment.course_id, appointment.encounter_id]
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("patient", 403), ("other_therapist", 404), ("supervisor", 403), ("anonymous", 302)],
)
def test_only_the_appointments_therapist_may_end_the_session(personas, client_for, persona, status):
    appointment = admitted(personas, client_for)

    response = client_for(persona).post(url("end_call", appointment), {"intent": "end"})

    assert response.status_code == status
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED


def test_ending_a_session_that_has_not_started_says_so_and_changes_nothing(personas, client_for):
    appointment = appointment_for(personas)

    response = client_for("therapist").post(url("end_call", appointment), {"intent": "end"})

    assert response.status_code == 302
    assert response["Location"] == reverse("schedule")
    assert any("in progress" in str(m) for m in response.wsgi_request._messages)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


# The therapist's lobby panel --------------------------------------------------------------------------


def _request_as(user):
    request = RequestFactory().get(reverse("schedule"))
    request.user = user
    return request


def test_the_lobby_panel_lists_waiting_patients_with_an_admit_form_where_they_are_and_a_licence_warning(
    personas,
):
    appointment = appointment_for(personas, location=False)
    confirm_location(appointment, region="US-NY")
    Appointment.objects.filter(pk=appointment.pk).update(waiting_since=timezone.now())
    appointment_for(personas, starts_in=timedelta(minutes=60))  # booked, not waiting
    request = _request_as(personas.therapist)

    entries = lobby_entries(request)
    html = render_to_string("telehealth/_lobby.html", {"lobby": entries}, request=request)

    assert [entry["appointment"] for entry in entries] == [str(appointment.pk)]
    assert html.count('class="lobby-entry"') == 1
    assert f'action="{url("admit_patient", appointment)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Paula Tient" in html
    assert "New York" in html
    assert 'data-ws-path="/ws/waiting-room/"' in html
    assert AuditEvent.objects.filter(action="location_check.read", actor=personas.therapist).exists()


def test_the_lobby_panel_is_for_therapists_only(personas):
    for user in (personas.patient, personas.supervisor):
        request = _request_as(user)

        assert lobby_entries(request) == []
        assert "lobby" not in render_to_string("telehealth/_lobby.html", {}, request=request)


def test_a_post_without_the_button_neither_admits_nor_ends(personas, client_for):
    appointment = appointment_for(personas)
    therapist = client_for("therapist")
    therapist.post(url("admit_patient", appointment), {"junk": "1"})
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    therapist.post(url("admit_patient", appointment), {"intent": "admit"})
    therapist.post(url("end_call", appointment), {"junk": "1"})
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED
