"""Booking, cancelling, moving and missing appointments: who may, what is refused, what is recorded."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.scheduling import actions, notifications
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.scheduling.tests.conftest import add_appointment, next_weekday, set_profile, working_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday(utc_hours):
    """Midnight UTC of a Monday at least two days ahead (the therapist works 09-17 UTC)."""
    return next_weekday(timezone.now(), 0)


@pytest.fixture
def sent(monkeypatch):
    """What the booking actions handed to the notifications module (after commit)."""
    calls: list[tuple] = []
    monkeypatch.setattr(notifications, "appointments_booked", lambda items: calls.append(("booked", items)))
    monkeypatch.setattr(
        notifications, "appointment_cancelled", lambda item: calls.append(("cancelled", item))
    )
    monkeypatch.setattr(
        notifications, "appointment_rescheduled", lambda old, new: calls.append(("rescheduled", old, new))
    )
    return calls


def audit_actions(appointment) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(appointment.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def book_as_patient(personas, start):
    return actions.book_appointment(
        actor=personas.patient, therapist=personas.therapist, patient=personas.patient, start=start
    )


def book_as_therapist(personas, start, **options):
    return actions.book_appointment(
        actor=personas.therapist,
        therapist=personas.therapist,
        patient=personas.patient,
        start=start,
        **options,
    )


class TestAPatientBooks:
    def test_an_open_slot_with_their_therapist_for_their_current_course(
        self, personas, course, monday, sent, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book_as_patient(personas, monday + timedelta(hours=10))
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED
        assert appointment.course == course
        assert appointment.end - appointment.start == timedelta(minutes=50)
        assert appointment.created_by == personas.patient
        assert sent == [("booked", [appointment])]
        event = AuditEvent.objects.get(action="appointment.book")
        assert (event.object_id, event.patient, event.actor) == (
            str(appointment.pk),
            personas.patient,
            personas.patient,
        )

    def test_nothing_is_notified_when_the_booking_is_refused(
        self, personas, course, monday, sent, django_capture_on_commit_callbacks
    ):
        book_as_therapist(personas, monday + timedelta(hours=10))
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(actions.SlotTaken):
            book_as_patient(personas, monday + timedelta(hours=10))
        assert sent == []

    def test_a_taken_slot_is_refused_with_slot_taken_and_nothing_changes(self, personas, course, monday):
        book_as_therapist(personas, monday + timedelta(hours=10))
        events = AuditEvent.objects.count()
        with pytest.raises(actions.SlotTaken, match="just been taken"):
            book_as_patient(personas, monday + timedelta(hours=10))
        assert Appointment.objects.count() == 1
        assert AuditEvent.objects.count() == events

    def test_a_slot_inside_the_buffer_of_another_appointment_is_taken(self, personas, course, monday):
        book_as_therapist(personas, monday + timedelta(hours=10, minutes=30))
        with pytest.raises(actions.SlotTaken):
            book_as_patient(personas, monday + timedelta(hours=11))

    def test_a_time_that_is_not_a_slot_start_is_refused_as_bad_input(self, personas, course, monday):
        with pytest.raises(ValidationError, match="not one of your therapist's open times") as refusal:
            book_as_patient(personas, monday + timedelta(hours=10, minutes=30))
        assert not isinstance(refusal.value, actions.SlotTaken)
        with pytest.raises(ValidationError, match="open times"):
            book_as_patient(personas, monday + timedelta(hours=20))  # after hours
        assert not Appointment.objects.exists()

    def test_inside_the_minimum_notice_is_refused(self, personas, course, utc_hours):
        set_profile(personas.therapist, minimum_notice_hours=24 * 14)
        start = next_weekday(timezone.now(), 0) + timedelta(hours=10)
        with pytest.raises(ValidationError, match="at least 336 hours ahead"):
            book_as_patient(personas, start)
        assert not Appointment.objects.exists()

    def test_beyond_the_booking_horizon_is_refused(self, personas, course, utc_hours):
        start = next_weekday(timezone.now(), 0, days_ahead=50) + timedelta(hours=10)
        with pytest.raises(ValidationError, match="at most 42 days ahead"):
            book_as_patient(personas, start)

    def test_the_past_is_refused(self, personas, course, utc_hours):
        start = next_weekday(timezone.now() - timedelta(days=14), 0) + timedelta(hours=10)
        with pytest.raises(ValidationError, match="has passed"):
            book_as_patient(personas, start)

    def test_only_with_their_own_therapist(self, personas, course, monday):
        working_week(personas.other_therapist)
        with pytest.raises(PermissionDenied, match="your own therapist"):
            actions.book_appointment(
                actor=personas.patient,
                therapist=personas.other_therapist,
                patient=personas.patient,
                start=monday + timedelta(hours=10),
            )
        assert not Appointment.objects.exists()

    def test_only_for_themself(self, personas, course, monday):
        with pytest.raises(PermissionDenied, match="only book for themself"):
            actions.book_appointment(
                actor=personas.patient,
                therapist=personas.therapist,
                patient=personas.other_patient,
                start=monday + timedelta(hours=10),
            )

    def test_a_naive_time_is_refused(self, personas, course, monday):
        with pytest.raises(ValidationError, match="time zone"):
            book_as_patient(personas, (monday + timedelta(hours=10)).replace(tzinfo=None))


class TestATherapistBooks:
    def test_any_free_time_for_a_patient_of_their_caseload(self, personas, course, monday):
        appointment = book_as_therapist(personas, monday + timedelta(hours=20, minutes=7))
        assert appointment.course == course
        assert appointment.created_by == personas.therapist

    def test_not_within_the_buffer_of_another_appointment(self, personas, course, monday):
        book_as_therapist(personas, monday + timedelta(hours=10))  # 10:00-10:50
        with pytest.raises(actions.SlotTaken):
            book_as_therapist(personas, monday + timedelta(hours=10, minutes=55))
        book_as_therapist(personas, monday + timedelta(hours=11))
        assert Appointment.objects.count() == 2

    def test_not_for_another_therapists_patient(self, personas, monday):
        with pytest.raises(PermissionDenied, match="caseload"):
            actions.book_appointment(
                actor=personas.therapist,
                therapist=personas.therapist,
                patient=personas.other_patient,
                start=monday + timedelta(hours=10),
            )

    def test_not_in_another_therapists_calendar(self, personas, monday):
        with pytest.raises(PermissionDenied, match="own calendar"):
            actions.book_appointment(
                actor=personas.therapist,
                therapist=personas.other_therapist,
                patient=personas.patient,
                start=monday + timedelta(hours=10),
            )

    def test_not_in_the_past(self, personas, course):
        with pytest.raises(ValidationError, match="has passed"):
            book_as_therapist(personas, timezone.now() - timedelta(hours=1))

    def test_not_for_a_course_of_another_care_team(self, personas, course, other_course, monday):
        with pytest.raises(ValidationError, match="not this patient's course"):
            book_as_therapist(personas, monday + timedelta(hours=10), course=other_course)

    @pytest.mark.parametrize("persona", ["supervisor", "admin"])
    def test_nobody_else_books(self, personas, course, monday, persona):
        with pytest.raises(PermissionDenied):
            actions.book_appointment(
                actor=personas.get(persona),
                therapist=personas.therapist,
                patient=personas.patient,
                start=monday + timedelta(hours=10),
            )


class TestAWeeklySeries:
    def test_keeps_the_same_wall_clock_time_across_a_daylight_saving_change(
        self, personas, course, sent, django_capture_on_commit_callbacks
    ):
        personas.therapist.time_zone = "America/New_York"
        personas.therapist.save(update_fields=["time_zone"])
        zone = ZoneInfo("America/New_York")
        first = datetime(2027, 3, 1, 9, tzinfo=zone)  # DST starts 2027-03-14
        with django_capture_on_commit_callbacks(execute=True):
            series = actions.book_weekly_series(
                actor=personas.therapist, course=course, first_start=first, count=4
            )
        assert [a.start.astimezone(zone).strftime("%m-%d %H:%M %Z") for a in series] == [
            "03-01 09:00 EST",
            "03-08 09:00 EST",
            "03-15 09:00 EDT",
            "03-22 09:00 EDT",
        ]
        assert len({a.series for a in series}) == 1 and series[0].series is not None
        assert all(a.end - a.start == timedelta(minutes=50) for a in series)
        assert sent == [("booked", series)]
        assert AuditEvent.objects.filter(action="appointment.book").count() == 4

    def test_is_all_or_nothing_and_names_every_date_that_is_not_free(self, personas, course, monday):
        personas.therapist.time_zone = "Europe/London"
        personas.therapist.save(update_fields=["time_zone"])
        first = monday + timedelta(hours=10)
        add_appointment(personas.therapist, personas.patient, first + timedelta(weeks=1, minutes=30))
        add_appointment(personas.therapist, personas.patient, first + timedelta(weeks=3))
        with pytest.raises(actions.SlotTaken) as refusal:
            actions.book_weekly_series(actor=personas.therapist, course=course, first_start=first, count=6)
        message = refusal.value.messages[0]
        zone = ZoneInfo("Europe/London")
        for week in (1, 3):
            assert (first + timedelta(weeks=week)).astimezone(zone).strftime("%-d %b %Y") in message
        for week in (0, 2, 4, 5):
            assert (first + timedelta(weeks=week)).astimezone(zone).strftime("%-d %b %Y") not in message
        assert Appointment.objects.count() == 2

    @pytest.mark.parametrize("count", [0, 17])
    def test_has_one_to_sixteen_sessions(self, personas, course, monday, count):
        with pytest.raises(ValidationError, match="1 to 16"):
            actions.book_weekly_series(
                actor=personas.therapist, course=course, first_start=monday + timedelta(hours=10), count=count
            )

    @pytest.mark.parametrize("persona", ["patient", "other_therapist", "supervisor"])
    def test_is_booked_by_the_courses_therapist_only(self, personas, course, monday, persona):
        with pytest.raises(PermissionDenied):
            actions.book_weekly_series(
                actor=personas.get(persona), course=course, first_start=monday + timedelta(hours=10), count=2
            )


class TestCancelling:
    def test_the_patient_cancels_in_good_time(
        self, personas, course, monday, sent, django_capture_on_commit_callbacks
    ):
        appointment = book_as_patient(personas, monday + timedelta(hours=10))
        assert actions.is_late_cancellation(appointment) is False
        with django_capture_on_commit_callbacks(execute=True):
            cancelled = actions.cancel_appointment(
                actor=personas.patient, appointment=appointment, reason="Ill"
            )
        cancelled.refresh_from_db()
        assert cancelled.status == AppointmentStatus.CANCELLED
        assert cancelled.cancelled_by == personas.patient
        assert cancelled.cancellation_reason == "Ill"
        assert cancelled.cancelled_at is not None
        assert cancelled.is_late_cancellation is False
        assert sent[-1] == ("cancelled", cancelled)
        assert audit_actions(appointment) == ["appointment.book", "appointment.cancel"]

    def test_less_than_the_late_cancellation_hours_ahead_is_late_and_the_patient_can_see_so_first(
        self, personas, course, utc_hours
    ):
        appointment = book_as_therapist(personas, timezone.now() + timedelta(hours=3))
        assert actions.is_late_cancellation(appointment) is True
        cancelled = actions.cancel_appointment(actor=personas.patient, appointment=appointment)
        assert cancelled.is_late_cancellation is True
        assert AuditEvent.objects.get(action="appointment.cancel").detail == {"late": True}

    def test_the_therapist_can_cancel(self, personas, course, monday):
        appointment = book_as_patient(personas, monday + timedelta(hours=10))
        actions.cancel_appointment(actor=personas.therapist, appointment=appointment)
        assert Appointment.objects.get().status == AppointmentStatus.CANCELLED

    @pytest.mark.parametrize("persona", ["supervisor", "admin", "other_therapist", "other_patient"])
    def test_nobody_else_can(self, personas, course, monday, persona):
        appointment = book_as_patient(personas, monday + timedelta(hours=10))
        with pytest.raises(PermissionDenied):
            actions.cancel_appointment(actor=personas.get(persona), appointment=appointment)
        assert Appointment.objects.get().status == AppointmentStatus.BOOKED

    @pytest.mark.parametrize(
        ("status", "message"),
        [
            (AppointmentStatus.CANCELLED, "already cancelled"),
            (AppointmentStatus.ARRIVED, "under way"),
            (AppointmentStatus.FULFILLED, "has been held"),
            (AppointmentStatus.NOSHOW, "marked missed"),
        ],
    )
    def test_only_a_booked_appointment_can_be_cancelled(self, personas, course, monday, status, message):
        appointment = add_appointment(
            personas.therapist, personas.patient, monday + timedelta(hours=10), status=status
        )
        with pytest.raises(ValidationError, match=message):
            actions.cancel_appointment(actor=personas.patient, appointment=appointment)
        appointment.refresh_from_db()
        assert appointment.status == status and appointment.cancelled_at is None

    def test_an_appointment_that_has_started_cannot_be_cancelled(self, personas, course):
        appointment = add_appointment(
            personas.therapist, personas.patient, timezone.now() - timedelta(minutes=5)
        )
        with pytest.raises(ValidationError, match="already started"):
            actions.cancel_appointment(actor=personas.patient, appointment=appointment)

    def test_a_stale_copy_cannot_cancel_twice(self, personas, course, monday):
        appointment = book_as_patient(personas, monday + timedelta(hours=10))
        stale = Appointment.objects.get(pk=appointment.pk)
        actions.cancel_appointment(actor=personas.patient, appointment=appointment)
        with pytest.raises(ValidationError, match="already cancelled"):
            actions.cancel_appointment(actor=personas.therapist, appointment=stale)
        assert Appointment.objects.get().cancelled_by == personas.patient


class TestRescheduling:
    def test_books_the_new_time_and_cancels_the_old_in_one_go(
        self, personas, course, monday, sent, django_capture_on_commit_callbacks
    ):
        old = book_as_patient(personas, monday + timedelta(hours=10))
        with django_capture_on_commit_callbacks(execute=True):
            new = actions.reschedule_appointment(
                actor=personas.patient, appointment=old, new_start=monday + timedelta(hours=14)
            )
        old.refresh_from_db()
        assert old.status == AppointmentStatus.CANCELLED
        assert old.rescheduled_to == new
        assert old.cancelled_by == personas.patient
        assert new.status == AppointmentStatus.BOOKED
        assert (new.start, new.course, new.patient) == (
            monday + timedelta(hours=14),
            course,
            personas.patient,
        )
        assert sent[-1] == ("rescheduled", old, new)
        assert audit_actions(old) == ["appointment.book", "appointment.reschedule"]
        assert audit_actions(new) == ["appointment.book"]

    def test_to_a_time_overlapping_its_own_old_time(self, personas, course, monday):
        old = book_as_therapist(personas, monday + timedelta(hours=10))
        new = actions.reschedule_appointment(
            actor=personas.therapist, appointment=old, new_start=monday + timedelta(hours=10, minutes=20)
        )
        assert list(Appointment.objects.filter(status=AppointmentStatus.BOOKED)) == [new]

    def test_to_a_taken_time_changes_nothing(self, personas, course, monday):
        old = book_as_patient(personas, monday + timedelta(hours=10))
        book_as_therapist(personas, monday + timedelta(hours=14))
        events = AuditEvent.objects.count()
        with pytest.raises(actions.SlotTaken):
            actions.reschedule_appointment(
                actor=personas.patient, appointment=old, new_start=monday + timedelta(hours=14)
            )
        old.refresh_from_db()
        assert old.status == AppointmentStatus.BOOKED and old.rescheduled_to is None
        assert Appointment.objects.count() == 2
        assert AuditEvent.objects.count() == events

    def test_a_patient_moves_only_to_an_open_slot(self, personas, course, monday):
        old = book_as_patient(personas, monday + timedelta(hours=10))
        with pytest.raises(ValidationError, match="open times"):
            actions.reschedule_appointment(
                actor=personas.patient, appointment=old, new_start=monday + timedelta(hours=14, minutes=5)
            )
        assert Appointment.objects.get().status == AppointmentStatus.BOOKED

    def test_a_supervisor_cannot_move_it(self, personas, course, monday):
        old = book_as_patient(personas, monday + timedelta(hours=10))
        with pytest.raises(PermissionDenied):
            actions.reschedule_appointment(
                actor=personas.supervisor, appointment=old, new_start=monday + timedelta(hours=14)
            )

    def test_a_cancelled_appointment_cannot_be_moved(self, personas, course, monday):
        old = book_as_patient(personas, monday + timedelta(hours=10))
        actions.cancel_appointment(actor=personas.patient, appointment=old)
        with pytest.raises(ValidationError, match="already cancelled"):
            actions.reschedule_appointment(
                actor=personas.patient, appointment=old, new_start=monday + timedelta(hours=14)
            )
        assert Appointment.objects.count() == 1


class TestMissedAppointments:
    def test_the_therapist_marks_a_booked_appointment_missed_after_it_started(self, personas, course):
        appointment = add_appointment(
            personas.therapist, personas.patient, timezone.now() - timedelta(minutes=20)
        )
        actions.mark_noshow(actor=personas.therapist, appointment=appointment)
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.NOSHOW
        assert audit_actions(appointment) == ["appointment.noshow"]

    def test_not_before_it_starts(self, personas, course, monday):
        appointment = book_as_patient(personas, monday + timedelta(hours=10))
        with pytest.raises(ValidationError, match="not started yet"):
            actions.mark_noshow(actor=personas.therapist, appointment=appointment)
        assert Appointment.objects.get().status == AppointmentStatus.BOOKED

    @pytest.mark.parametrize("persona", ["patient", "supervisor", "other_therapist"])
    def test_only_by_the_therapist(self, personas, course, persona):
        appointment = add_appointment(
            personas.therapist, personas.patient, timezone.now() - timedelta(minutes=20)
        )
        with pytest.raises(PermissionDenied):
            actions.mark_noshow(actor=personas.get(persona), appointment=appointment)

    @pytest.mark.parametrize(
        ("status", "message"),
        [
            (AppointmentStatus.CANCELLED, "was cancelled"),
            (AppointmentStatus.ARRIVED, "came to this session"),
            (AppointmentStatus.FULFILLED, "came to this session"),
            (AppointmentStatus.NOSHOW, "already marked missed"),
        ],
    )
    def test_only_from_booked(self, personas, course, status, message):
        appointment = add_appointment(
            personas.therapist, personas.patient, timezone.now() - timedelta(minutes=20), status=status
        )
        with pytest.raises(ValidationError, match=message):
            actions.mark_noshow(actor=personas.therapist, appointment=appointment)
        appointment.refresh_from_db()
        assert appointment.status == status


def test_working_week_helper_gives_monday_to_friday_nine_to_five(personas):
    hours = working_week(personas.therapist)
    assert [(h.weekday, h.starts, h.ends) for h in hours] == [(day, time(9), time(17)) for day in range(5)]


class TestTheLastGuards:
    @pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="the exclusion constraint is PostgreSQL's"
    )
    def test_the_exclusion_constraint_refuses_an_overlap_the_check_missed_as_slot_taken(
        self, personas, course, monday, monkeypatch
    ):
        book_as_therapist(personas, monday + timedelta(hours=10))
        monkeypatch.setattr(actions, "_conflicts", lambda *args, **kwargs: [])
        with pytest.raises(actions.SlotTaken, match="just been taken"):
            book_as_therapist(personas, monday + timedelta(hours=10, minutes=20))
        assert Appointment.objects.count() == 1

    def test_a_database_that_stays_locked_is_a_clean_refusal(self, personas, course, monday, monkeypatch):
        from django.db import OperationalError

        def locked(*args, **kwargs):
            raise OperationalError("database is locked")

        monkeypatch.setattr(actions, "_conflicts", locked)
        with pytest.raises(actions.CalendarBusy, match="busy just now"):
            book_as_patient(personas, monday + timedelta(hours=10))
        assert not Appointment.objects.exists()

    @pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has no row locks")
    def test_booking_locks_the_therapists_profile_row_first(self, personas, course, monday):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            book_as_patient(personas, monday + timedelta(hours=10))
        statements = [query["sql"] for query in queries.captured_queries]
        lock = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
        assert "scheduling_therapistprofile" in statements[lock]
        insert = next(
            i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "scheduling_appointment"')
        )
        assert lock < insert
