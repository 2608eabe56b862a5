"""Reminders: which are queued and when, and what the task sends (run in-process here; the real
workers on both backends are in ipt/tests/test_reminder_worker.py)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from redis.exceptions import ConnectionError as RedisConnectionError

from ipt.scheduling import notifications
from ipt.scheduling.actions import book_appointment, cancel_appointment, reschedule_appointment
from ipt.scheduling.models import Appointment, AppointmentStatus, ReminderDelivery
from ipt.scheduling.tasks import send_reminder
from ipt.scheduling.tests.conftest import add_appointment, next_weekday, utc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_queue(settings):
    """Queue on the database backend, whatever the run's default, so rows can be inspected."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued() -> list[tuple[str, int, str, object]]:
    rows = DBTaskResult.objects.filter(task_path="ipt.scheduling.tasks.send_reminder").order_by("run_after")
    return [(*row.args_kwargs["args"], row.run_after) for row in rows]


def run(appointment: Appointment, offset: int = 60, start=None) -> str:
    return send_reminder.call(str(appointment.pk), offset, (start or appointment.start).isoformat())


def test_booking_queues_one_reminder_per_offset_at_start_minus_offset(database_queue, settings, personas):
    settings.IPT_REMINDER_OFFSETS_MINUTES = [1440, 60]
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    appointment = add_appointment(personas.therapist, personas.patient, start)

    notifications.appointments_booked([appointment])

    assert queued() == [
        (str(appointment.pk), 1440, start.isoformat(), start - timedelta(days=1)),
        (str(appointment.pk), 60, start.isoformat(), start - timedelta(hours=1)),
    ]


def test_offsets_already_past_are_skipped(database_queue, settings, personas):
    settings.IPT_REMINDER_OFFSETS_MINUTES = [1440, 60]
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    appointment = add_appointment(personas.therapist, personas.patient, start)

    notifications.appointments_booked([appointment])

    assert [offset for _id, offset, _start, _due in queued()] == [60]


def test_a_due_instant_with_a_fraction_of_a_second_is_rounded_up_never_early(personas, settings):
    settings.IPT_REMINDER_OFFSETS_MINUTES = [60]
    start = utc(2031, 7, 15, 14, 0) + timedelta(microseconds=250_000)
    appointment = Appointment(start=start, end=start + timedelta(minutes=50))

    ((offset, due),) = notifications.reminder_times(appointment, now=utc(2031, 7, 1))

    assert (offset, due) == (60, utc(2031, 7, 15, 13, 0, 1))


def test_moving_queues_reminders_for_the_new_time(database_queue, settings, personas, utc_hours, course):
    settings.IPT_REMINDER_OFFSETS_MINUTES = [60]
    start = next_weekday(timezone.now(), 2, days_ahead=3) + timedelta(hours=10)
    old = book_appointment(
        actor=personas.therapist, therapist=personas.therapist, patient=personas.patient, start=start
    )

    new = reschedule_appointment(
        actor=personas.therapist, appointment=old, new_start=start + timedelta(hours=3)
    )

    assert queued() == [
        (str(old.pk), 60, start.isoformat(), start - timedelta(hours=1)),
        (str(new.pk), 60, new.start.isoformat(), new.start - timedelta(hours=1)),
    ]


def test_the_reminder_names_the_other_person_the_time_in_their_zone_and_the_links(mailbox, personas):
    personas.patient.time_zone = "Europe/Dublin"
    personas.patient.save(update_fields=["time_zone"])
    personas.therapist.time_zone = "Asia/Tokyo"
    personas.therapist.save(update_fields=["time_zone"])
    appointment = add_appointment(personas.therapist, personas.patient, utc(2031, 1, 14, 9, 30))

    assert run(appointment) == "sent"

    (to_patient,) = mailbox.to("patient@example.test")
    text = mailbox.body(to_patient)
    assert "Your session with Thea Rapist starts at 09:30 GMT on Tuesday 14 January 2031" in text
    assert settings.SITE_URL + reverse("join_session", args=[appointment.pk]) in text
    assert settings.SITE_URL + reverse("device_check") in text
    (to_therapist,) = mailbox.to("therapist@example.test")
    text = mailbox.body(to_therapist)
    assert "Your session with Paula T. starts at 18:30 JST on Tuesday 14 January 2031" in text
    assert settings.SITE_URL + reverse("schedule") in text
    assert reverse("join_session", args=[appointment.pk]) not in text
    assert ReminderDelivery.objects.filter(appointment=appointment, offset_minutes=60).count() == 1


def test_a_reminder_is_sent_only_once(mailbox, personas):
    appointment = add_appointment(personas.therapist, personas.patient, utc(2031, 1, 14, 9, 30))

    assert run(appointment) == "sent"
    assert run(appointment) == "already sent"

    assert len(mailbox.messages) == 2  # patient and therapist, once each


def test_each_offset_is_its_own_reminder(mailbox, personas):
    appointment = add_appointment(personas.therapist, personas.patient, utc(2031, 1, 14, 9, 30))

    assert run(appointment, offset=1440) == "sent"
    assert run(appointment, offset=60) == "sent"

    assert len(mailbox.messages) == 4


def test_a_cancelled_appointment_sends_no_reminder(mailbox, personas, utc_hours):
    start = next_weekday(timezone.now(), 2, days_ahead=3) + timedelta(hours=10)
    appointment = book_appointment(
        actor=personas.therapist, therapist=personas.therapist, patient=personas.patient, start=start
    )
    cancel_appointment(actor=personas.patient, appointment=appointment, reason="")
    mailbox.messages.clear()

    assert run(appointment, start=start) == "not sent: cancelled"

    assert mailbox.messages == []
    assert not ReminderDelivery.objects.exists()


def test_a_moved_appointment_sends_no_reminder_for_its_old_time(mailbox, personas, utc_hours):
    start = next_weekday(timezone.now(), 2, days_ahead=3) + timedelta(hours=10)
    old = book_appointment(
        actor=personas.therapist, therapist=personas.therapist, patient=personas.patient, start=start
    )
    new = reschedule_appointment(
        actor=personas.patient, appointment=old, new_start=start + timedelta(hours=2)
    )
    mailbox.messages.clear()

    assert run(old, start=start) == "not sent: cancelled"
    # Even a row whose start was edited in place does not get the old time's reminder.
    Appointment.objects.filter(pk=new.pk).update(
        start=start + timedelta(hours=4), end=start + timedelta(hours=5)
    )
    assert run(new, start=start + timedelta(hours=2)) == "not sent: moved"

    assert mailbox.messages == []


@pytest.mark.parametrize("status", [AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW])
def test_an_appointment_no_longer_live_sends_no_reminder(mailbox, personas, status):
    appointment = add_appointment(
        personas.therapist, personas.patient, utc(2031, 1, 14, 9, 30), status=status
    )

    assert run(appointment).startswith("not sent")
    assert mailbox.messages == []


def test_a_deleted_appointment_is_a_quiet_no_op(mailbox, personas):
    appointment = add_appointment(personas.therapist, personas.patient, utc(2031, 1, 14, 9, 30))
    appointment_id, start = str(appointment.pk), appointment.start
    appointment.delete()

    assert send_reminder.call(appointment_id, 60, start.isoformat()) == "gone"


def test_a_failed_send_leaves_no_delivery_so_a_retry_sends_it(mailbox, personas, settings):
    appointment = add_appointment(personas.therapist, personas.patient, utc(2031, 1, 14, 9, 30))
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9

    with pytest.raises(OSError):
        run(appointment)
    assert not ReminderDelivery.objects.exists()

    settings.EMAIL_PORT = port
    assert run(appointment) == "sent"
    assert len(mailbox.messages) == 2


def test_a_reminder_carries_nothing_clinical(mailbox, personas, course):
    appointment = add_appointment(
        personas.therapist, personas.patient, utc(2031, 1, 14, 9, 30), course=course
    )

    run(appointment)

    for message in mailbox.messages:
        text = (str(message["Subject"]) + mailbox.body(message)).lower()
        for word in ("dispute", "sam", "phase", "middle", "course", "grief"):
            assert word not in text


def test_a_task_queue_that_is_down_does_not_fail_the_booking_or_its_emails(
    mailbox, settings, personas, utc_hours
):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0"}}  # nothing listens there
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    start = next_weekday(timezone.now(), 2, days_ahead=3) + timedelta(hours=10)

    appointment = book_appointment(
        actor=personas.therapist, therapist=personas.therapist, patient=personas.patient, start=start
    )

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED
    assert len(mailbox.to("patient@example.test")) == 1
    with pytest.raises(RedisConnectionError):  # the queue really was down
        notifications.schedule_reminders(appointment)
