"""The scheduling pages: schedule, course appointments, one appointment and the patient's own page.

The therapist works in New York and the patient lives in London, so every page must show its
viewer's own clock and name the zone.
"""

import io
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.models import AuditEvent
from ipt.conftest import sign_in
from ipt.scheduling.actions import book_appointment
from ipt.scheduling.models import Appointment, AppointmentStatus, WeeklyHours
from ipt.scheduling.tests.conftest import add_appointment, set_profile, working_week

NEW_YORK, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")


@pytest.fixture
def zoned(personas):
    """Therapist in New York working every day 08:00-18:00 there; patient in London."""
    personas.therapist.time_zone = "America/New_York"
    personas.therapist.save(update_fields=["time_zone"])
    personas.patient.time_zone = "Europe/London"
    personas.patient.save(update_fields=["time_zone"])
    working_week(personas.therapist, starts=time(8), ends=time(18), weekdays=range(7))
    return set_profile(
        personas.therapist,
        session_minutes=50,
        buffer_minutes=10,
        minimum_notice_hours=1,
        booking_horizon_days=60,
        late_cancellation_hours=24,
    )


def in_days(days: int, hour: int = 10, zone=NEW_YORK) -> datetime:
    """``hour``:00 in ``zone`` ``days`` days from today there, as aware UTC."""
    day = timezone.localdate(timezone.now(), zone) + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def clock(instant: datetime, zone) -> str:
    return instant.astimezone(zone).strftime("%H:%M")


def book(personas, start, course=None) -> Appointment:
    therapist = personas.therapist
    return book_appointment(
        actor=therapist, therapist=therapist, patient=personas.patient, start=start, course=course
    )


def slot_starts(html: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html)


# The therapist's schedule ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schedule_shows_the_next_two_weeks_in_the_therapists_zone(personas, zoned, client_for):
    appointment = book(personas, in_days(2, 11))
    far = book(personas, in_days(20, 11))
    response = client_for("therapist").get(reverse("schedule"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "America/New_York" in html
    assert "11:00" in html  # New York clock, not UTC (16:00) or London
    assert personas.patient.display_name in html
    assert reverse("appointment_detail", args=[appointment.pk]) in html
    assert reverse("appointment_detail", args=[far.pk]) not in html
    for name in ("availability", "calendar_settings", "device_check"):
        assert reverse(name) in html
    assert 'id="lobby"' in html
    assert AuditEvent.objects.filter(action="schedule.read", actor=personas.therapist).exists()


@pytest.mark.django_db
def test_the_schedule_does_not_show_other_therapists_appointments(personas, zoned, client_for):
    other = personas.other_therapist
    add_appointment(other, personas.other_patient, in_days(2, 11))
    html = client_for("therapist").get(reverse("schedule")).content.decode()
    assert personas.other_patient.display_name not in html


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["patient", "supervisor", "admin"])
def test_only_therapists_have_a_schedule(personas, client_for, persona):
    assert client_for(persona).get(reverse("schedule")).status_code == 403


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    response = client_for("anonymous").get(reverse("schedule"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# A course's appointments ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_therapist_sees_the_course_appointments_and_the_booking_forms(
    personas, zoned, course, client_for
):
    appointment = book(personas, in_days(3, 9), course=course)
    response = client_for("therapist").get(reverse("course_appointments", args=[course.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "America/New_York" in html and "09:00" in html
    assert reverse("appointment_detail", args=[appointment.pk]) in html
    assert "Book one session" in html and "Book a weekly series" in html
    assert "15 of 16 planned sessions" in html


@pytest.mark.django_db
def test_the_supervisor_reads_the_course_appointments_without_booking(personas, zoned, course, client_for):
    appointment = book(personas, in_days(3, 9), course=course)
    client = client_for("supervisor")
    html = client.get(reverse("course_appointments", args=[course.pk])).content.decode()
    assert reverse("appointment_detail", args=[appointment.pk]) in html
    assert "Book one session" not in html
    day = in_days(4).astimezone(NEW_YORK).date().isoformat()
    response = client.post(
        reverse("course_appointments", args=[course.pk]),
        {"step": "one", "one-date": day, "one-time": "10:00"},
    )
    assert response.status_code == 403
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona,status", [("other_therapist", 404), ("patient", 403), ("admin", 403)])
def test_others_cannot_see_a_course_appointments(personas, course, client_for, persona, status):
    response = client_for(persona).get(reverse("course_appointments", args=[course.pk]))
    assert response.status_code == status
    assert personas.patient.display_name not in response.content.decode()


@pytest.mark.django_db
def test_the_therapist_books_one_session_at_their_own_wall_clock_time(personas, zoned, course, client_for):
    day = in_days(5).astimezone(NEW_YORK).date()
    response = client_for("therapist").post(
        reverse("course_appointments", args=[course.pk]),
        {"step": "one", "one-date": day.isoformat(), "one-time": "14:30"},
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appointment_detail", args=[appointment.pk])
    assert appointment.start == datetime.combine(day, time(14, 30), tzinfo=NEW_YORK)
    assert appointment.course == course and appointment.patient == personas.patient


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,message",
    [
        ({"one-date": "", "one-time": "10:00"}, "This field is required."),
        ({"one-date": "2020-01-06", "one-time": "10:00"}, "That time has passed"),
        ({"one-date": "next tuesday", "one-time": "10:00"}, "Enter a valid date."),
        ({"one-date": "2099-01-06", "one-time": "25:99"}, "Enter a valid time."),
    ],
)
def test_bad_booking_input_is_refused_clearly_and_kept(personas, zoned, course, client_for, data, message):
    response = client_for("therapist").post(
        reverse("course_appointments", args=[course.pk]), {"step": "one", **data}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert f'value="{data["one-date"]}"' in html or not data["one-date"]
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_conflicting_time_is_shown_clearly_and_what_was_typed_is_kept(personas, zoned, course, client_for):
    taken = book(personas, in_days(6, 10), course=course)
    day = taken.start.astimezone(NEW_YORK).date().isoformat()
    response = client_for("therapist").post(
        reverse("course_appointments", args=[course.pk]),
        {"step": "one", "one-date": day, "one-time": "10:20"},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "That time has just been taken" in html
    assert f'value="{day}"' in html and 'value="10:20"' in html
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_the_therapist_books_a_weekly_series_for_the_course(personas, zoned, course, client_for):
    first = in_days(2).astimezone(NEW_YORK).date()
    response = client_for("therapist").post(
        reverse("course_appointments", args=[course.pk]),
        {"step": "series", "series-date": first.isoformat(), "series-time": "09:00", "series-count": "4"},
    )
    assert response.status_code == 302
    appointments = list(Appointment.objects.order_by("start"))
    assert len(appointments) == 4
    assert len({a.series for a in appointments}) == 1 and appointments[0].series is not None
    for week, appointment in enumerate(appointments):
        local = appointment.start.astimezone(NEW_YORK)
        assert local.date() == first + timedelta(weeks=week) and local.time() == time(9)
    html = client_for("therapist").get(reverse("course_appointments", args=[course.pk])).content.decode()
    assert "12 of 16 planned sessions" in html


@pytest.mark.django_db
def test_a_series_longer_than_the_sessions_left_is_refused(personas, zoned, course, client_for):
    first = in_days(2).astimezone(NEW_YORK).date().isoformat()
    response = client_for("therapist").post(
        reverse("course_appointments", args=[course.pk]),
        {"step": "series", "series-date": first, "series-time": "09:00", "series-count": "17"},
    )
    assert response.status_code == 400
    assert "16 sessions left to book" in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_series_that_meets_a_booked_session_names_the_date_and_books_nothing(
    personas, zoned, course, client_for
):
    first = in_days(2, 9)
    book(personas, first + timedelta(weeks=1), course=course)
    response = client_for("therapist").post(
        reverse("course_appointments", args=[course.pk]),
        {
            "step": "series",
            "series-date": first.astimezone(NEW_YORK).date().isoformat(),
            "series-time": "09:00",
            "series-count": "3",
        },
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "nothing was booked" in html
    assert (first + timedelta(weeks=1)).astimezone(NEW_YORK).strftime("%-d %b %Y") in html
    assert Appointment.objects.count() == 1


# One appointment ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,zone_name,zone",
    [
        ("patient", "Europe/London", LONDON),
        ("therapist", "America/New_York", NEW_YORK),
        ("supervisor", "UTC", UTC),
    ],
)
def test_an_appointment_is_shown_to_its_readers_in_their_own_zone(
    personas, zoned, client_for, persona, zone_name, zone
):
    appointment = book(personas, in_days(3, 10))
    response = client_for(persona).get(reverse("appointment_detail", args=[appointment.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert zone_name in html
    assert clock(appointment.start, zone) in html
    assert "Booked" in html
    assert AuditEvent.objects.filter(action="appointment.read", actor=personas.get(persona)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona,status", [("other_patient", 404), ("other_therapist", 404), ("admin", 403)])
def test_an_appointment_is_hidden_from_everyone_else(personas, zoned, client_for, persona, status):
    appointment = book(personas, in_days(3, 10))
    response = client_for(persona).get(reverse("appointment_detail", args=[appointment.pk]))
    assert response.status_code == status
    assert personas.patient.display_name not in response.content.decode()


@pytest.mark.django_db
def test_the_therapist_sees_the_patients_location_panel(personas, zoned, client_for):
    appointment = book(personas, in_days(3, 10))
    therapist_html = client_for("therapist").get(reverse("appointment_detail", args=[appointment.pk])).content
    patient_html = client_for("patient").get(reverse("appointment_detail", args=[appointment.pk])).content
    assert b"Move to another time" in therapist_html and b"Move to another time" in patient_html
    assert b"Mark as missed" not in therapist_html  # not started yet


@pytest.mark.django_db
def test_members_get_a_join_link_only_while_the_call_window_is_open(personas, zoned, client_for):
    soon = add_appointment(personas.therapist, personas.patient, timezone.now() + timedelta(minutes=5))
    later = book(personas, in_days(3, 10))
    patient, therapist = client_for("patient"), client_for("therapist")
    soon_html = patient.get(reverse("appointment_detail", args=[soon.pk])).content.decode()
    assert reverse("join_session", args=[soon.pk]) in soon_html and "Join video session" in soon_html
    therapist_html = therapist.get(reverse("appointment_detail", args=[soon.pk])).content.decode()
    assert "Join video session" in therapist_html and f'href="{reverse("schedule")}"' in therapist_html
    later_html = patient.get(reverse("appointment_detail", args=[later.pk])).content.decode()
    assert "Join video session" not in later_html
    supervisor_html = client_for("supervisor").get(reverse("appointment_detail", args=[soon.pk])).content
    assert b"Join video session" not in supervisor_html
    my_html = patient.get(reverse("my_appointments")).content.decode()
    assert reverse("join_session", args=[soon.pk]) in my_html


@pytest.mark.django_db
def test_an_arrived_session_sends_the_therapist_to_the_call(personas, zoned, client_for):
    now = timezone.now()
    appointment = add_appointment(
        personas.therapist, personas.patient, now - timedelta(minutes=5), status=AppointmentStatus.ARRIVED
    )
    client = client_for("therapist")
    html = client.get(reverse("appointment_detail", args=[appointment.pk])).content.decode()
    assert reverse("video_call", args=[appointment.pk]) in html
    assert reverse("video_call", args=[appointment.pk]) in client.get(reverse("schedule")).content.decode()


# Cancelling -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_patient_cancels_a_session_well_ahead_without_a_late_warning(personas, zoned, client_for):
    appointment = book(personas, in_days(5, 10))
    client = client_for("patient")
    page = client.get(reverse("appointment_cancel", args=[appointment.pk])).content.decode()
    assert "late cancellation" not in page.lower().replace("counts as a late cancellation", "")
    response = client.post(reverse("appointment_cancel", args=[appointment.pk]), {"reason": "Travelling"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED and not appointment.is_late_cancellation
    assert appointment.cancelled_by == personas.patient


@pytest.mark.django_db
def test_the_patient_is_warned_before_a_late_cancellation_naming_the_window(personas, zoned, client_for):
    appointment = book(personas, timezone.now() + timedelta(hours=3))
    client = client_for("patient")
    detail = client.get(reverse("appointment_detail", args=[appointment.pk])).content.decode()
    assert "This would be a late cancellation" in detail and "24 hours" in detail
    page = client.get(reverse("appointment_cancel", args=[appointment.pk])).content.decode()
    assert "This would be a late cancellation" in page and "24 hours" in page
    assert "Cancel anyway (late cancellation)" in page

    # Posting without the page's acknowledgement shows the warning and changes nothing.
    response = client.post(reverse("appointment_cancel", args=[appointment.pk]), {"reason": ""})
    assert response.status_code == 409
    assert "This would be a late cancellation" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED

    response = client.post(
        reverse("appointment_cancel", args=[appointment.pk]), {"reason": "", "acknowledge_late": "1"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.is_late_cancellation
    html = client.get(reverse("appointment_detail", args=[appointment.pk])).content.decode()
    assert "(late cancellation)" in html


@pytest.mark.django_db
def test_a_cancelled_session_cannot_be_cancelled_again(personas, zoned, client_for):
    appointment = book(personas, in_days(5, 10), course=None)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    response = client_for("patient").post(reverse("appointment_cancel", args=[appointment.pk]), follow=True)
    assert response.status_code == 200
    assert "can no longer be cancelled" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,status", [("supervisor", 403), ("other_patient", 404), ("other_therapist", 404)]
)
def test_only_members_may_cancel(personas, zoned, client_for, persona, status):
    appointment = book(personas, in_days(5, 10))
    response = client_for(persona).post(reverse("appointment_cancel", args=[appointment.pk]))
    assert response.status_code == status
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


# Rescheduling and no-show -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_patient_moves_a_session_to_another_open_time(personas, zoned, client_for):
    appointment = book(personas, in_days(5, 10))
    client = client_for("patient")
    url = reverse("appointment_reschedule", args=[appointment.pk])
    page = client.get(url + "?week=1").content.decode()
    assert "Europe/London" in page
    starts = slot_starts(page)
    assert starts
    new_start = datetime.fromisoformat(starts[0])
    assert clock(new_start, LONDON) in page
    response = client.post(url, {"start": starts[0], "week": "1"})
    new = Appointment.objects.get(start=new_start)
    assert response.status_code == 302 and response["Location"] == reverse(
        "appointment_detail", args=[new.pk]
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.rescheduled_to == new


@pytest.mark.django_db
def test_a_move_to_a_time_just_taken_says_so_and_keeps_the_session(personas, zoned, client_for):
    appointment = book(personas, in_days(5, 10))
    client = client_for("patient")
    url = reverse("appointment_reschedule", args=[appointment.pk])
    start = slot_starts(client.get(url + "?week=1").content.decode())[0]
    other = book(personas, datetime.fromisoformat(start))
    response = client.post(url, {"start": start, "week": "1"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "That time has just been taken" in html
    assert f'value="{start}"' not in html
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 2 and other.pk


@pytest.mark.django_db
def test_a_made_up_time_is_refused_when_moving(personas, zoned, client_for):
    appointment = book(personas, in_days(5, 10))
    response = client_for("patient").post(
        reverse("appointment_reschedule", args=[appointment.pk]), {"start": "tomorrow at noon"}
    )
    assert response.status_code == 400
    assert "choose a time from the list" in response.content.decode()
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_the_therapist_marks_a_started_session_missed(personas, zoned, client_for):
    started = add_appointment(personas.therapist, personas.patient, timezone.now() - timedelta(minutes=20))
    client = client_for("therapist")
    assert b"Mark as missed" in client.get(reverse("appointment_detail", args=[started.pk])).content
    response = client.post(reverse("appointment_noshow", args=[started.pk]), follow=True)
    assert response.status_code == 200 and "Marked as missed" in response.content.decode()
    started.refresh_from_db()
    assert started.status == AppointmentStatus.NOSHOW


@pytest.mark.django_db
def test_a_future_session_cannot_be_marked_missed(personas, zoned, client_for):
    appointment = book(personas, in_days(5, 10))
    response = client_for("therapist").post(reverse("appointment_noshow", args=[appointment.pk]), follow=True)
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.django_db
@pytest.mark.parametrize("persona,status", [("patient", 403), ("supervisor", 403), ("other_therapist", 404)])
def test_only_the_therapist_marks_a_no_show(personas, zoned, client_for, persona, status):
    started = add_appointment(personas.therapist, personas.patient, timezone.now() - timedelta(minutes=20))
    assert client_for(persona).post(reverse("appointment_noshow", args=[started.pk])).status_code == status
    started.refresh_from_db()
    assert started.status == AppointmentStatus.BOOKED


# The patient's own appointments -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_patient_sees_upcoming_and_past_sessions_in_their_zone(personas, zoned, client_for):
    upcoming = book(personas, in_days(3, 10))
    past = add_appointment(
        personas.therapist, personas.patient, in_days(-7, 10), status=AppointmentStatus.FULFILLED
    )
    response = client_for("patient").get(reverse("my_appointments"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Europe/London" in html
    assert clock(upcoming.start, LONDON) in html
    assert reverse("appointment_detail", args=[upcoming.pk]) in html
    assert reverse("appointment_detail", args=[past.pk]) in html and "Held" in html
    assert reverse("device_check") in html
    assert reverse("my_telehealth_consent") in html and "Before your first video session" in html
    assert 'name="viewport"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["therapist", "supervisor", "admin"])
def test_only_patients_have_my_appointments(personas, client_for, persona):
    assert client_for(persona).get(reverse("my_appointments")).status_code == 403
    assert client_for(persona).post(reverse("my_appointment_book"), {"start": "x"}).status_code == 403


@pytest.mark.django_db
def test_the_patient_books_from_the_slot_list_and_sees_it(personas, zoned, client_for):
    client = client_for("patient")
    page = client.get(reverse("my_appointments") + "?week=1").content.decode()
    starts = slot_starts(page)
    assert starts, "open slots are listed"
    first = datetime.fromisoformat(starts[0])
    assert first.astimezone(NEW_YORK).time() >= time(8)
    assert clock(first, LONDON) in page  # shown on the patient's clock
    response = client.post(reverse("my_appointment_book"), {"start": starts[0], "week": "1"})
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appointment_detail", args=[appointment.pk])
    assert appointment.start == first and appointment.patient == personas.patient
    assert appointment.status == AppointmentStatus.BOOKED
    detail = client.get(response["Location"]).content.decode()
    assert "Your session is booked." in detail and clock(first, LONDON) in detail
    mine = client.get(reverse("my_appointments") + "?week=1").content.decode()
    assert reverse("appointment_detail", args=[appointment.pk]) in mine
    assert starts[0] not in slot_starts(mine)


@pytest.mark.django_db
def test_a_slot_taken_meanwhile_gives_a_friendly_message_and_fresh_slots(personas, zoned, client_for):
    client = client_for("patient")
    starts = slot_starts(client.get(reverse("my_appointments") + "?week=1").content.decode())
    book(personas, datetime.fromisoformat(starts[0]))
    response = client.post(reverse("my_appointment_book"), {"start": starts[0], "week": "1"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "That time has just been taken. Please choose another." in html
    assert starts[0] not in slot_starts(html) and starts[1] in slot_starts(html)
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["", "not a time", "2026-01-01T10:00:00", "2020-01-06T14:00:00+00:00"])
def test_a_bad_slot_is_refused_with_a_message_and_nothing_booked(personas, zoned, client_for, start):
    response = client_for("patient").post(reverse("my_appointment_book"), {"start": start})
    assert response.status_code == 400
    assert 'class="message error"' in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_the_slot_weeks_page_through_htmx(personas, zoned, client_for):
    client = client_for("patient")
    response = client.get(
        reverse("my_appointments") + "?week=2", headers={"HX-Request": "true", "HX-Target": "slot-list"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="slot-list"') and "<html" not in html
    first = datetime.fromisoformat(slot_starts(html)[0])
    assert first.astimezone(LONDON).date() >= timezone.localdate(timezone.now(), LONDON) + timedelta(weeks=2)
    assert "?week=1" in html and "?week=3" in html


@pytest.mark.django_db
def test_a_patient_without_a_therapist_is_told_so(personas, client_for):
    personas.care_team.delete()
    response = client_for("patient").get(reverse("my_appointments"))
    assert response.status_code == 200
    assert "You can book once you have a therapist." in response.content.decode()


# Navigation -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_main_navigation_links_the_schedule_and_the_appointments(personas, course, client_for):
    therapist_home = client_for("therapist").get(reverse("home")).content.decode()
    assert f'href="{reverse("schedule")}">Schedule<' in therapist_home
    patient_home = client_for("patient").get(reverse("my_course")).content.decode()
    assert f'href="{reverse("my_appointments")}">Appointments<' in patient_home
    overview = client_for("therapist").get(reverse("course_overview", args=[course.pk])).content.decode()
    assert f'href="{reverse("course_appointments", args=[course.pk])}">Appointments<' in overview


# Demo data ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_calendar_shows_two_zones_and_a_session_about_to_start():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Appointment.objects.count(), WeeklyHours.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Appointment.objects.count(), WeeklyHours.objects.count()) == counts  # idempotent

    therapist = User.objects.get(email="therapist@demo.test")
    patient = User.objects.get(email="patient@demo.test")
    assert (therapist.time_zone, patient.time_zone) == ("America/New_York", "Europe/London")
    assert WeeklyHours.objects.filter(therapist=therapist).count() == 5
    soon = Appointment.objects.get(
        patient=patient,
        status=AppointmentStatus.BOOKED,
        start__range=(timezone.now(), timezone.now() + timedelta(minutes=11)),
    )
    assert soon.course is not None
    assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.FULFILLED).exists()
    assert Appointment.objects.filter(
        patient=patient, status=AppointmentStatus.BOOKED, start__gt=timezone.now() + timedelta(days=1)
    ).exists()
    assert Appointment.objects.filter(patient__email="patient2@demo.test").exists()

    html = sign_in(Client(), patient).get(reverse("appointment_detail", args=[soon.pk])).content.decode()
    assert "Europe/London" in html and reverse("join_session", args=[soon.pk]) in html
    html = sign_in(Client(), therapist).get(reverse("schedule")).content.decode()
    assert "America/New_York" in html and reverse("appointment_detail", args=[soon.pk]) in html
