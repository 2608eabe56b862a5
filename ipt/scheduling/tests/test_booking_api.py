"""The appointments API: slots, booking, listing, cancelling and moving, with its refusals."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ipt.api import api
from ipt.audit.models import AuditEvent
from ipt.scheduling import actions
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.scheduling.slots import open_slots
from ipt.scheduling.tests.conftest import next_weekday, working_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday(utc_hours):
    return next_weekday(timezone.now(), 0)


def iso(value) -> str:
    return value.isoformat()


def slots_url(therapist, start, end) -> str:
    return "/api/v1/appointments/slots?" + urlencode(
        {"therapist": therapist.pk, "start": iso(start), "end": iso(end)}
    )


def post(client, url, body):
    return client.post(url, data=body, content_type="application/json")


class TestSlots:
    def test_a_patient_gets_their_therapists_open_slots_in_utc(self, personas, client_for, monday, course):
        response = client_for("patient").get(
            slots_url(personas.therapist, monday, monday + timedelta(days=1))
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body[0]) == {"start", "end"}
        assert [parse_datetime(slot["start"]) for slot in body] == [
            monday + timedelta(hours=hour) for hour in range(9, 17)
        ]
        assert all(slot["start"].endswith("Z") for slot in body) or all(
            slot["start"].endswith("+00:00") for slot in body
        )

    def test_therapist_and_patient_in_different_zones_see_the_same_instants(
        self, personas, client_for, course
    ):
        personas.therapist.time_zone = "America/New_York"
        personas.therapist.save(update_fields=["time_zone"])
        personas.patient.time_zone = "Asia/Tokyo"
        personas.patient.save(update_fields=["time_zone"])
        working_week(personas.therapist)
        monday = next_weekday(timezone.now(), 0)
        url = slots_url(personas.therapist, monday, monday + timedelta(days=2))
        as_patient = client_for("patient").get(url).json()
        as_therapist = client_for("therapist").get(url).json()
        expected = open_slots(personas.therapist, monday, monday + timedelta(days=2))
        assert [parse_datetime(slot["start"]) for slot in as_patient] == [slot.start for slot in expected]
        # 09:00 in New York (EST in winter, EDT in summer) whatever the patient's zone.
        first = parse_datetime(as_patient[0]["start"])
        assert first.astimezone(timezone.get_fixed_timezone(0)).hour in (13, 14)
        assert {s["start"] for s in as_patient} <= {s["start"] for s in as_therapist}

    def test_a_range_longer_than_31_days_is_refused_with_a_message(
        self, personas, client_for, monday, course
    ):
        response = client_for("patient").get(
            slots_url(personas.therapist, monday, monday + timedelta(days=32))
        )
        assert response.status_code == 422
        assert "31 days" in response.json()["detail"]

    def test_an_end_before_the_start_is_refused(self, personas, client_for, monday, course):
        response = client_for("patient").get(
            slots_url(personas.therapist, monday, monday - timedelta(hours=1))
        )
        assert response.status_code == 422
        assert "after start" in response.json()["detail"]

    def test_times_without_a_zone_are_refused(self, personas, client_for, monday, course):
        url = "/api/v1/appointments/slots?" + urlencode(
            {"therapist": personas.therapist.pk, "start": "2027-01-04T00:00", "end": "2027-01-05T00:00"}
        )
        response = client_for("patient").get(url)
        assert response.status_code == 422
        assert "time zone" in response.json()["detail"]

    def test_a_garbled_time_is_refused(self, personas, client_for, course):
        url = "/api/v1/appointments/slots?" + urlencode(
            {"therapist": personas.therapist.pk, "start": "next tuesday", "end": "2027-01-05T00:00Z"}
        )
        assert client_for("patient").get(url).status_code == 422

    @pytest.mark.parametrize(
        ("persona", "whose", "status"),
        [
            ("patient", "therapist", 200),
            ("patient", "other_therapist", 404),
            ("therapist", "therapist", 200),
            ("therapist", "other_therapist", 404),
            ("other_patient", "therapist", 404),
            ("supervisor", "therapist", 404),
            ("admin", "therapist", 404),
            ("anonymous", "therapist", 401),
        ],
    )
    def test_who_may_see_whose_slots(self, personas, client_for, monday, course, persona, whose, status):
        url = slots_url(personas.get(whose), monday, monday + timedelta(days=1))
        assert client_for(persona).get(url).status_code == status


class TestBooking:
    def test_a_patient_books_an_open_slot(self, personas, client_for, monday, course):
        start = monday + timedelta(hours=10)
        response = post(
            client_for("patient"),
            "/api/v1/appointments",
            {"therapist": str(personas.therapist.pk), "start": iso(start)},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        appointment = Appointment.objects.get()
        assert body["id"] == str(appointment.pk)
        assert body["therapist"] == str(personas.therapist.pk)
        assert body["patient"] == str(personas.patient.pk)
        assert body["course"] == str(course.pk)
        assert parse_datetime(body["start"]) == start
        assert parse_datetime(body["end"]) == start + timedelta(minutes=50)
        assert body["status"] == "booked"
        assert body["is_late_cancellation"] is False
        assert body["series"] is None

    def test_the_same_slot_twice_is_a_conflict(self, personas, client_for, monday, course):
        body = {"therapist": str(personas.therapist.pk), "start": iso(monday + timedelta(hours=10))}
        client = client_for("patient")
        assert post(client, "/api/v1/appointments", body).status_code == 201
        again = post(client, "/api/v1/appointments", body)
        assert again.status_code == 409
        assert again.json() == {"detail": actions.SLOT_TAKEN_MESSAGE}
        assert Appointment.objects.count() == 1

    def test_a_time_off_the_grid_is_bad_input(self, personas, client_for, monday, course):
        body = {
            "therapist": str(personas.therapist.pk),
            "start": iso(monday + timedelta(hours=10, minutes=5)),
        }
        response = post(client_for("patient"), "/api/v1/appointments", body)
        assert response.status_code == 400
        assert "open times" in response.json()["detail"]
        assert not Appointment.objects.exists()

    def test_a_therapist_books_for_a_patient_of_their_caseload(self, personas, client_for, monday, course):
        body = {
            "therapist": str(personas.therapist.pk),
            "patient": str(personas.patient.pk),
            "start": iso(monday + timedelta(hours=19, minutes=15)),
        }
        response = post(client_for("therapist"), "/api/v1/appointments", body)
        assert response.status_code == 201
        assert response.json()["patient"] == str(personas.patient.pk)

    def test_a_therapist_must_name_the_patient(self, personas, client_for, monday, course):
        body = {"therapist": str(personas.therapist.pk), "start": iso(monday + timedelta(hours=10))}
        response = post(client_for("therapist"), "/api/v1/appointments", body)
        assert response.status_code == 422
        assert "patient" in response.json()["detail"]

    def test_a_therapist_cannot_book_another_therapists_patient(self, personas, client_for, monday, course):
        body = {
            "therapist": str(personas.therapist.pk),
            "patient": str(personas.other_patient.pk),
            "start": iso(monday + timedelta(hours=10)),
        }
        assert post(client_for("therapist"), "/api/v1/appointments", body).status_code == 404
        assert not Appointment.objects.exists()

    def test_a_patient_cannot_book_for_someone_else(self, personas, client_for, monday, course):
        body = {
            "therapist": str(personas.therapist.pk),
            "patient": str(personas.other_patient.pk),
            "start": iso(monday + timedelta(hours=10)),
        }
        assert post(client_for("patient"), "/api/v1/appointments", body).status_code == 404

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"therapist": "not-a-uuid", "start": "2027-01-04T10:00Z"},
            {"therapist": "{therapist}", "start": "soon"},
            {"therapist": "{therapist}"},
            {"therapist": "{therapist}", "start": "2027-01-04T10:00:00Z", "role": "admin"},
        ],
    )
    def test_malformed_bodies_are_refused(self, personas, client_for, course, body):
        body = {key: value.format(therapist=personas.therapist.pk) for key, value in body.items()}
        response = post(client_for("patient"), "/api/v1/appointments", body)
        assert response.status_code == 422
        assert response.json()["detail"]
        assert not Appointment.objects.exists()

    def test_a_naive_start_is_refused(self, personas, client_for, monday, course):
        body = {
            "therapist": str(personas.therapist.pk),
            "start": iso(monday + timedelta(hours=10)).split("+")[0],
        }
        response = post(client_for("patient"), "/api/v1/appointments", body)
        assert response.status_code == 422
        assert "time zone" in response.json()["detail"]

    @pytest.mark.parametrize("persona", ["supervisor", "admin", "other_patient"])
    def test_others_cannot_book(self, personas, client_for, monday, course, persona):
        body = {
            "therapist": str(personas.therapist.pk),
            "patient": str(personas.patient.pk),
            "start": iso(monday + timedelta(hours=10)),
        }
        assert post(client_for(persona), "/api/v1/appointments", body).status_code == 404
        assert not Appointment.objects.exists()


class TestReadingAndChanging:
    @pytest.fixture
    def booked(self, personas, monday, course):
        return actions.book_appointment(
            actor=personas.patient,
            therapist=personas.therapist,
            patient=personas.patient,
            start=monday + timedelta(hours=10),
        )

    @pytest.mark.parametrize(
        ("persona", "visible"),
        [
            ("patient", True),
            ("therapist", True),
            ("supervisor", True),
            ("other_patient", False),
            ("other_therapist", False),
            ("admin", False),
        ],
    )
    def test_who_sees_the_appointment(self, client_for, booked, persona, visible):
        client = client_for(persona)
        listed = [item["id"] for item in client.get("/api/v1/appointments").json()]
        assert listed == ([str(booked.pk)] if visible else [])
        assert client.get(f"/api/v1/appointments/{booked.pk}").status_code == (200 if visible else 404)

    def test_reading_is_audited(self, personas, client_for, booked):
        client_for("therapist").get(f"/api/v1/appointments/{booked.pk}")
        event = AuditEvent.objects.get(action="appointment.read")
        assert (event.actor, event.patient, event.object_id) == (
            personas.therapist,
            personas.patient,
            str(booked.pk),
        )
        client_for("patient").get("/api/v1/appointments")
        assert AuditEvent.objects.get(action="appointment.list").detail == {"count": 1}

    def test_the_list_can_be_limited_to_a_range(self, client_for, booked, monday):
        client = client_for("patient")
        inside = urlencode({"from": iso(monday), "to": iso(monday + timedelta(days=1))})
        after = urlencode({"from": iso(monday + timedelta(days=1))})
        assert len(client.get(f"/api/v1/appointments?{inside}").json()) == 1
        assert client.get(f"/api/v1/appointments?{after}").json() == []

    def test_an_unknown_or_malformed_id_is_not_found(self, client_for, booked):
        client = client_for("patient")
        assert client.get("/api/v1/appointments/00000000-0000-0000-0000-000000000000").status_code == 404
        assert client.get("/api/v1/appointments/nope").status_code in (404, 422)

    def test_the_patient_cancels(self, personas, client_for, booked):
        response = post(client_for("patient"), f"/api/v1/appointments/{booked.pk}/cancel", {"reason": "Away"})
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        booked.refresh_from_db()
        assert (booked.status, booked.cancellation_reason) == (AppointmentStatus.CANCELLED, "Away")

    def test_cancelling_twice_says_why_not(self, client_for, booked):
        client = client_for("patient")
        post(client, f"/api/v1/appointments/{booked.pk}/cancel", {})
        again = post(client, f"/api/v1/appointments/{booked.pk}/cancel", {})
        assert again.status_code == 400
        assert "already cancelled" in again.json()["detail"]

    def test_a_supervisor_may_read_but_not_cancel(self, client_for, booked):
        response = post(client_for("supervisor"), f"/api/v1/appointments/{booked.pk}/cancel", {})
        assert response.status_code == 403
        booked.refresh_from_db()
        assert booked.status == AppointmentStatus.BOOKED

    def test_a_cancel_with_unknown_fields_is_refused_and_cancels_nothing(self, client_for, booked):
        response = post(client_for("patient"), f"/api/v1/appointments/{booked.pk}/cancel", {"probe": "x"})
        assert response.status_code == 422
        booked.refresh_from_db()
        assert booked.status == AppointmentStatus.BOOKED

    def test_another_patient_cannot_cancel(self, client_for, booked):
        assert (
            post(client_for("other_patient"), f"/api/v1/appointments/{booked.pk}/cancel", {}).status_code
            == 404
        )

    def test_the_patient_moves_it(self, client_for, booked, monday):
        response = post(
            client_for("patient"),
            f"/api/v1/appointments/{booked.pk}/reschedule",
            {"start": iso(monday + timedelta(hours=13))},
        )
        assert response.status_code == 201
        new = Appointment.objects.get(pk=response.json()["id"])
        booked.refresh_from_db()
        assert booked.rescheduled_to == new
        assert new.start == monday + timedelta(hours=13)

    def test_moving_to_a_taken_time_is_a_conflict(self, personas, client_for, booked, monday):
        actions.book_appointment(
            actor=personas.therapist,
            therapist=personas.therapist,
            patient=personas.patient,
            start=monday + timedelta(hours=13),
        )
        response = post(
            client_for("patient"),
            f"/api/v1/appointments/{booked.pk}/reschedule",
            {"start": iso(monday + timedelta(hours=13))},
        )
        assert response.status_code == 409
        booked.refresh_from_db()
        assert booked.status == AppointmentStatus.BOOKED


def test_the_openapi_schema_declares_the_responses():
    paths = api.get_openapi_schema()["paths"]

    def codes(path, method):
        return {str(code) for code in paths[path][method]["responses"]}

    assert {"201", "400", "404", "409", "422"} <= codes("/api/v1/appointments", "post")
    assert {"201", "400", "404", "409", "422"} <= codes(
        "/api/v1/appointments/{appointment_id}/reschedule", "post"
    )
    assert {"200", "400", "404", "409", "422"} <= codes(
        "/api/v1/appointments/{appointment_id}/cancel", "post"
    )
    assert {"200", "404", "422"} <= codes("/api/v1/appointments/slots", "get")
    assert paths["/api/v1/appointments"]["post"]["tags"] == ["appointments"]
