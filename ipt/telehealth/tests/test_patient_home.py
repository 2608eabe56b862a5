"""The patient's home page leads to their next session, and to the call when it is time."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from ipt.scheduling.models import Appointment, AppointmentStatus


def book(personas, starts_in: timedelta, status=AppointmentStatus.BOOKED) -> Appointment:
    start = timezone.now() + starts_in
    return Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        start=start,
        end=start + timedelta(minutes=50),
        status=status,
        created_by=personas.therapist,
    )


def test_the_home_page_names_the_next_session_in_the_patients_zone(personas, client_for):
    personas.patient.time_zone = "Asia/Tokyo"
    personas.patient.save(update_fields=["time_zone"])
    appointment = book(personas, timedelta(days=2))
    book(personas, timedelta(days=1), status=AppointmentStatus.CANCELLED)
    page = client_for("patient").get(reverse("home")).content.decode()
    local = timezone.localtime(appointment.start, timezone.get_fixed_timezone(9 * 60))
    assert "Your next session" in page and local.strftime("%H:%M") in page and "Asia/Tokyo" in page
    assert reverse("join_session", args=[appointment.pk]) not in page
    assert "You can join from 15 minutes before it starts." in page


def test_the_join_button_appears_when_the_call_window_opens(personas, client_for):
    appointment = book(personas, timedelta(minutes=10))
    page = client_for("patient").get(reverse("home")).content.decode()
    assert reverse("join_session", args=[appointment.pk]) in page


def test_another_patients_session_is_never_shown(personas, client_for):
    start = timezone.now() + timedelta(minutes=10)
    Appointment.objects.create(
        therapist=personas.other_therapist,
        patient=personas.other_patient,
        start=start,
        end=start + timedelta(minutes=50),
        created_by=personas.other_therapist,
    )
    page = client_for("patient").get(reverse("home")).content.decode()
    assert "Your next session" not in page
