"""Booking, cancellation and rescheduling emails through a real SMTP server, .ics parsed back."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from ipt.scheduling import notifications
from ipt.scheduling.actions import (
    book_appointment,
    book_weekly_series,
    cancel_appointment,
    reschedule_appointment,
)
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.scheduling.tests.conftest import add_appointment, next_weekday, utc

pytestmark = pytest.mark.django_db(transaction=True)

CLINICAL_WORDS = ("dispute", "grief", "sam", "secret-referral", "phase", "middle", "course", "problem")


def calendars_in(message) -> list[tuple[str, Calendar]]:
    """(the part's method parameter, the parsed calendar) for each text/calendar attachment."""
    found = []
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            assert part.get_filename().endswith(".ics")
            found.append((part.get_param("method"), Calendar.from_ical(part.get_content())))
    return found


def whole_text(message) -> str:
    texts = [str(message["Subject"]), message.get_body(preferencelist=("plain",)).get_content()]
    texts += [part.get_content() for part in message.iter_attachments()]
    return "\n".join(texts)


def assert_no_clinical_words(message) -> None:
    lowered = whole_text(message).lower()
    for word in CLINICAL_WORDS:
        assert word not in lowered, f"{word!r} appears in the email"


def link(appointment) -> str:
    return settings.SITE_URL + reverse("appointment_detail", args=[appointment.pk])


@pytest.fixture
def zones(personas):
    """The patient in Dublin, the therapist in New York."""
    personas.patient.time_zone = "Europe/Dublin"
    personas.patient.save(update_fields=["time_zone"])
    personas.therapist.time_zone = "America/New_York"
    personas.therapist.save(update_fields=["time_zone"])
    return personas


def test_a_booking_emails_each_person_once_with_a_request_ics_in_their_own_zone(mailbox, zones, course):
    # 15 July 2031 14:00 UTC is 15:00 in Dublin (summer time) and 10:00 in New York.
    appointment = add_appointment(zones.therapist, zones.patient, utc(2031, 7, 15, 14, 0), course=course)

    notifications.appointments_booked([appointment])

    (to_patient,) = mailbox.to("patient@example.test")
    (to_therapist,) = mailbox.to("therapist@example.test")
    patient_text = mailbox.body(to_patient)
    assert "Your session with Thea Rapist is booked" in patient_text
    assert "Tuesday 15 July 2031 at 15:00 IST" in patient_text
    assert "(Europe/Dublin)" in patient_text
    assert link(appointment) in patient_text
    therapist_text = mailbox.body(to_therapist)
    assert "Your session with Paula T. is booked" in therapist_text
    assert "Tuesday 15 July 2031 at 10:00 EDT" in therapist_text

    for message, summary in (
        (to_patient, "Session with Thea Rapist"),
        (to_therapist, "Session with Paula T."),
    ):
        ((method, calendar),) = calendars_in(message)
        assert method == "REQUEST"
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"{appointment.pk}@ipt-online"
        assert event.decoded("DTSTART") == utc(2031, 7, 15, 14, 0)
        assert event["DTSTART"].to_ical().decode() == "20310715T140000Z"
        assert event.decoded("DTEND") == appointment.end
        assert str(event["SUMMARY"]) == summary
        assert str(event["URL"]) == link(appointment)
        assert_no_clinical_words(message)


def test_a_weekly_series_is_one_email_each_with_every_session(mailbox, zones, course):
    first = utc(2031, 7, 15, 14, 0)
    series = [
        add_appointment(zones.therapist, zones.patient, first + timedelta(weeks=week), course=course)
        for week in range(3)
    ]

    notifications.appointments_booked(series)

    (to_patient,) = mailbox.to("patient@example.test")
    assert len(mailbox.to("therapist@example.test")) == 1
    assert "Your 3 sessions with Thea Rapist are booked" in mailbox.body(to_patient)
    ((_method, calendar),) = calendars_in(to_patient)
    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert uids == [f"{appointment.pk}@ipt-online" for appointment in series]


def test_a_cancellation_sends_a_cancel_ics_for_the_same_uid(mailbox, zones, course):
    appointment = add_appointment(zones.therapist, zones.patient, utc(2031, 7, 15, 14, 0), course=course)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.save()

    notifications.appointment_cancelled(appointment)

    for address in ("patient@example.test", "therapist@example.test"):
        (message,) = mailbox.to(address)
        assert "has been cancelled" in mailbox.body(message)
        ((method, calendar),) = calendars_in(message)
        assert method == "CANCEL"
        assert str(calendar["METHOD"]) == "CANCEL"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"{appointment.pk}@ipt-online"
        assert str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) >= 1
        assert_no_clinical_words(message)


def test_a_reschedule_is_one_email_with_the_cancel_and_the_new_time(mailbox, zones, course):
    old = add_appointment(zones.therapist, zones.patient, utc(2031, 7, 15, 14, 0), course=course)
    new = add_appointment(zones.therapist, zones.patient, utc(2031, 7, 17, 9, 0), course=course)
    Appointment.objects.filter(pk=old.pk).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=timezone.now(), rescheduled_to=new
    )
    old.refresh_from_db()

    notifications.appointment_rescheduled(old, new)

    (message,) = mailbox.to("patient@example.test")
    text = mailbox.body(message)
    assert "Was: Tuesday 15 July 2031 at 15:00 IST" in text
    assert "Now: Thursday 17 July 2031 at 10:00 IST" in text
    parts = dict(calendars_in(message))
    assert set(parts) == {"CANCEL", "REQUEST"}
    (cancelled,) = parts["CANCEL"].walk("VEVENT")
    (booked,) = parts["REQUEST"].walk("VEVENT")
    assert str(cancelled["UID"]) == f"{old.pk}@ipt-online"
    assert str(booked["UID"]) == f"{new.pk}@ipt-online"
    assert booked.decoded("DTSTART") == utc(2031, 7, 17, 9, 0)
    assert len(mailbox.to("therapist@example.test")) == 1
    assert_no_clinical_words(message)


def test_booking_cancelling_and_moving_through_the_actions_send_their_emails(
    mailbox, personas, utc_hours, course
):
    start = next_weekday(timezone.now(), 2, days_ahead=3) + timedelta(hours=10)

    appointment = book_appointment(
        actor=personas.therapist, therapist=personas.therapist, patient=personas.patient, start=start
    )
    (booked,) = mailbox.to("patient@example.test")
    ((method, calendar),) = calendars_in(booked)
    assert (method, str(calendar.walk("VEVENT")[0]["UID"])) == ("REQUEST", f"{appointment.pk}@ipt-online")

    new = reschedule_appointment(
        actor=personas.patient, appointment=appointment, new_start=start + timedelta(hours=2)
    )
    moved = mailbox.to("patient@example.test")[1]
    assert {method for method, _calendar in calendars_in(moved)} == {"CANCEL", "REQUEST"}

    cancel_appointment(actor=personas.patient, appointment=new, reason="Away")
    cancelled = mailbox.to("patient@example.test")[2]
    ((method, calendar),) = calendars_in(cancelled)
    assert (method, str(calendar.walk("VEVENT")[0]["UID"])) == ("CANCEL", f"{new.pk}@ipt-online")
    assert "Away" not in whole_text(cancelled)
    assert len(mailbox.to("therapist@example.test")) == 3


def test_a_series_booked_through_the_action_is_one_email(mailbox, personas, utc_hours, course):
    first = next_weekday(timezone.now(), 1, days_ahead=3) + timedelta(hours=9)

    series = book_weekly_series(actor=personas.therapist, course=course, first_start=first, count=4)

    (message,) = mailbox.to("patient@example.test")
    ((_method, calendar),) = calendars_in(message)
    assert len(calendar.walk("VEVENT")) == len(series) == 4


def test_a_mail_server_that_is_down_does_not_undo_or_fail_the_booking(mailbox, personas, utc_hours, settings):
    settings.EMAIL_PORT = 9  # nothing listens on the discard port
    start = next_weekday(timezone.now(), 2, days_ahead=3) + timedelta(hours=10)

    appointment = book_appointment(
        actor=personas.therapist, therapist=personas.therapist, patient=personas.patient, start=start
    )

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED
    assert mailbox.messages == []
