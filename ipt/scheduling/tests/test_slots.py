"""Open slots: wall-clock hours in the therapist's zone, real elapsed time, DST, buffers, notice."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ipt.scheduling.models import AppointmentStatus, AvailabilityException, WeeklyHours
from ipt.scheduling.slots import Slot, open_slots, working_blocks
from ipt.scheduling.tests.conftest import add_appointment, set_profile, utc, working_week

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LONG_AGO = utc(2026, 1, 2, 12)  # "now" for tests about dates in 2026


def in_zone(therapist, zone_name: str):
    therapist.time_zone = zone_name
    therapist.save(update_fields=["time_zone"])
    return therapist


def hourly(therapist):
    """Sessions of 50 minutes with 10 minutes' buffer: one slot an hour."""
    set_profile(therapist, session_minutes=50, buffer_minutes=10)
    return therapist


def local_starts(slots: list[Slot], zone: ZoneInfo) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for slot in slots]


def slots_on(therapist, day: date, zone: ZoneInfo, **options) -> list[Slot]:
    """The slots whose start falls on that local day (as the therapist's calendar shows it)."""
    from datetime import datetime

    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    options.setdefault("now", LONG_AGO)
    options.setdefault("for_patient", False)
    return open_slots(therapist, start, end, **options)


@pytest.mark.django_db
class TestAnOrdinaryDay:
    def test_a_working_day_of_eight_hours_gives_eight_hourly_slots_that_end_within_the_block(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        slots = slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))  # a Monday
        assert [slot.start for slot in slots] == [utc(2026, 12, 7, hour) for hour in range(9, 17)]
        assert all(slot.end - slot.start == timedelta(minutes=50) for slot in slots)
        assert slots[-1].end == utc(2026, 12, 7, 16, 50)

    def test_a_session_that_would_run_past_the_block_is_not_offered(self, personas):
        therapist = in_zone(personas.therapist, "UTC")
        set_profile(therapist, session_minutes=90, buffer_minutes=15)
        working_week(therapist, starts=time(9), ends=time(12))
        slots = slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))
        # 09:00-10:30, 10:45-12:15 would overrun 12:00.
        assert [slot.start for slot in slots] == [utc(2026, 12, 7, 9)]

    def test_weekends_without_hours_have_no_slots(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        assert slots_on(therapist, date(2026, 12, 5), ZoneInfo("UTC")) == []  # Saturday

    def test_working_blocks_are_utc_ranges_of_the_local_hours(self, personas):
        therapist = in_zone(personas.therapist, "America/New_York")
        working_week(therapist)
        assert working_blocks(therapist, date(2026, 12, 7)) == [(utc(2026, 12, 7, 14), utc(2026, 12, 7, 22))]
        assert working_blocks(therapist, date(2026, 7, 6)) == [(utc(2026, 7, 6, 13), utc(2026, 7, 6, 21))]
        assert working_blocks(therapist, date(2026, 12, 6)) == []

    def test_two_blocks_on_one_day_each_give_their_own_slots(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist, starts=time(9), ends=time(11), weekdays=[0])
        working_week(therapist, starts=time(13, 30), ends=time(15), weekdays=[0])
        slots = slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))
        assert [slot.start for slot in slots] == [
            utc(2026, 12, 7, 9),
            utc(2026, 12, 7, 10),
            utc(2026, 12, 7, 13, 30),
        ]

    def test_the_range_is_half_open_on_slot_starts(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        slots = open_slots(
            therapist, utc(2026, 12, 7, 10), utc(2026, 12, 7, 12), now=LONG_AGO, for_patient=False
        )
        assert [slot.start for slot in slots] == [utc(2026, 12, 7, 10), utc(2026, 12, 7, 11)]

    def test_slots_come_from_three_queries_and_the_profile_whatever_the_range(
        self, personas, django_assert_max_num_queries
    ):
        therapist = hourly(in_zone(personas.therapist, "Europe/London"))
        working_week(therapist)
        for day in range(20):
            add_appointment(therapist, personas.patient, utc(2026, 12, 1, 9) + timedelta(days=day))
        with django_assert_max_num_queries(4):
            slots = open_slots(therapist, utc(2026, 12, 1), utc(2027, 1, 1), now=LONG_AGO, for_patient=False)
        assert len(slots) == 23 * 8 - 14  # 23 working days; 14 of the appointments fall on them


@pytest.mark.django_db
class TestDaylightSavingInNewYork:
    def test_nine_oclock_stays_nine_oclock_across_spring_forward(self, personas):
        therapist = hourly(in_zone(personas.therapist, "America/New_York"))
        working_week(therapist, weekdays=range(7))
        before = slots_on(therapist, date(2026, 3, 7), NEW_YORK)
        changeover = slots_on(therapist, date(2026, 3, 8), NEW_YORK)
        after = slots_on(therapist, date(2026, 3, 9), NEW_YORK)
        assert local_starts(before, NEW_YORK)[0] == "2026-03-07 09:00 EST"
        assert local_starts(changeover, NEW_YORK)[0] == "2026-03-08 09:00 EDT"
        assert local_starts(after, NEW_YORK)[0] == "2026-03-09 09:00 EDT"
        assert before[0].start == utc(2026, 3, 7, 14)
        assert changeover[0].start == utc(2026, 3, 8, 13)
        assert len(before) == len(changeover) == len(after) == 8

    def test_a_block_from_half_past_one_on_the_spring_forward_day_yields_no_two_oclock_slot(self, personas):
        therapist = hourly(in_zone(personas.therapist, "America/New_York"))
        WeeklyHours.objects.create(therapist=therapist, weekday=6, starts=time(1, 30), ends=time(4, 30))
        slots = slots_on(therapist, date(2026, 3, 8), NEW_YORK)
        assert local_starts(slots, NEW_YORK) == ["2026-03-08 01:30 EST", "2026-03-08 03:30 EDT"]
        # Real elapsed time: one hour between them, and each session lasts 50 real minutes.
        assert slots[1].start - slots[0].start == timedelta(hours=1)
        assert all(slot.end - slot.start == timedelta(minutes=50) for slot in slots)
        assert not any(" 02:" in label for label in local_starts(slots, NEW_YORK))

    def test_a_block_that_starts_in_the_missing_hour_starts_when_the_clocks_have_changed(self, personas):
        therapist = hourly(in_zone(personas.therapist, "America/New_York"))
        WeeklyHours.objects.create(therapist=therapist, weekday=6, starts=time(2, 0), ends=time(5, 0))
        slots = slots_on(therapist, date(2026, 3, 8), NEW_YORK)
        assert local_starts(slots, NEW_YORK) == ["2026-03-08 03:00 EDT", "2026-03-08 04:00 EDT"]
        # The same hours a week later, an ordinary day, give three.
        assert len(slots_on(therapist, date(2026, 3, 15), NEW_YORK)) == 3

    def test_an_ambiguous_time_on_the_fall_back_day_means_its_first_occurrence(self, personas):
        therapist = hourly(in_zone(personas.therapist, "America/New_York"))
        WeeklyHours.objects.create(therapist=therapist, weekday=6, starts=time(1, 30), ends=time(3, 0))
        slots = slots_on(therapist, date(2026, 11, 1), NEW_YORK)
        # 01:30 EDT (05:30 UTC) to 03:00 EST (08:00 UTC) is two and a half real hours.
        assert slots[0].start == utc(2026, 11, 1, 5, 30)
        assert local_starts(slots, NEW_YORK) == [
            "2026-11-01 01:30 EDT",
            "2026-11-01 01:30 EST",
        ]
        assert slots[1].start - slots[0].start == timedelta(hours=1)

    def test_nine_oclock_stays_nine_oclock_across_fall_back(self, personas):
        therapist = hourly(in_zone(personas.therapist, "America/New_York"))
        working_week(therapist, weekdays=range(7))
        changeover = slots_on(therapist, date(2026, 11, 1), NEW_YORK)
        after = slots_on(therapist, date(2026, 11, 2), NEW_YORK)
        assert changeover[0].start == utc(2026, 11, 1, 14)
        assert after[0].start == utc(2026, 11, 2, 14)
        assert local_starts(changeover, NEW_YORK)[0] == "2026-11-01 09:00 EST"
        assert local_starts(slots_on(therapist, date(2026, 10, 31), NEW_YORK), NEW_YORK)[0] == (
            "2026-10-31 09:00 EDT"
        )


@pytest.mark.django_db
class TestDaylightSavingInLondon:
    def test_nine_oclock_stays_nine_oclock_across_both_changes(self, personas):
        therapist = hourly(in_zone(personas.therapist, "Europe/London"))
        working_week(therapist, weekdays=range(7))
        assert slots_on(therapist, date(2026, 3, 28), LONDON)[0].start == utc(2026, 3, 28, 9)
        assert slots_on(therapist, date(2026, 3, 29), LONDON)[0].start == utc(2026, 3, 29, 8)
        assert slots_on(therapist, date(2026, 10, 24), LONDON)[0].start == utc(2026, 10, 24, 8)
        assert slots_on(therapist, date(2026, 10, 25), LONDON)[0].start == utc(2026, 10, 25, 9)

    def test_the_missing_hour_on_the_last_sunday_of_march_is_skipped(self, personas):
        therapist = hourly(in_zone(personas.therapist, "Europe/London"))
        WeeklyHours.objects.create(therapist=therapist, weekday=6, starts=time(0, 30), ends=time(3, 30))
        slots = slots_on(therapist, date(2026, 3, 29), LONDON)
        assert local_starts(slots, LONDON) == ["2026-03-29 00:30 GMT", "2026-03-29 02:30 BST"]

    def test_the_repeated_hour_in_october_uses_the_first_one_and_real_elapsed_time(self, personas):
        therapist = hourly(in_zone(personas.therapist, "Europe/London"))
        WeeklyHours.objects.create(therapist=therapist, weekday=6, starts=time(1, 0), ends=time(3, 0))
        slots = slots_on(therapist, date(2026, 10, 25), LONDON)
        # 01:00 BST (00:00 UTC) to 03:00 GMT (03:00 UTC): three real hours, three slots.
        assert [slot.start for slot in slots] == [
            utc(2026, 10, 25, 0),
            utc(2026, 10, 25, 1),
            utc(2026, 10, 25, 2),
        ]
        assert local_starts(slots, LONDON) == [
            "2026-10-25 01:00 BST",
            "2026-10-25 01:00 GMT",
            "2026-10-25 02:00 GMT",
        ]


@pytest.mark.django_db
class TestExceptions:
    def test_a_closed_date_has_no_slots(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        AvailabilityException.objects.create(therapist=therapist, date=date(2026, 12, 7), is_available=False)
        assert slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC")) == []
        assert len(slots_on(therapist, date(2026, 12, 8), ZoneInfo("UTC"))) == 8

    def test_other_hours_replace_the_weeks_hours_that_date(self, personas):
        therapist = hourly(in_zone(personas.therapist, "Europe/London"))
        working_week(therapist)
        AvailabilityException.objects.create(
            therapist=therapist, date=date(2026, 12, 7), is_available=True, starts=time(14), ends=time(16)
        )
        slots = slots_on(therapist, date(2026, 12, 7), LONDON)
        assert [slot.start for slot in slots] == [utc(2026, 12, 7, 14), utc(2026, 12, 7, 15)]

    def test_a_saturday_can_be_opened_by_an_exception(self, personas):
        therapist = hourly(in_zone(personas.therapist, "America/New_York"))
        working_week(therapist)
        AvailabilityException.objects.create(
            therapist=therapist, date=date(2026, 12, 5), is_available=True, starts=time(10), ends=time(12)
        )
        assert local_starts(slots_on(therapist, date(2026, 12, 5), NEW_YORK), NEW_YORK) == [
            "2026-12-05 10:00 EST",
            "2026-12-05 11:00 EST",
        ]
        assert working_blocks(therapist, date(2026, 12, 5)) == [(utc(2026, 12, 5, 15), utc(2026, 12, 5, 17))]


@pytest.mark.django_db
class TestWhatIsBooked:
    def test_a_booked_appointment_and_its_buffer_take_the_slots_they_touch(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        # Booked by the therapist off the grid: 10:30-11:20 (+10 minutes either side).
        add_appointment(therapist, personas.patient, utc(2026, 12, 7, 10, 30))
        starts = [slot.start.hour for slot in slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))]
        assert starts == [9, 12, 13, 14, 15, 16]

    def test_a_buffer_exactly_met_leaves_the_neighbouring_slots_free(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        add_appointment(therapist, personas.patient, utc(2026, 12, 7, 10))  # 10:00-10:50
        starts = [slot.start.hour for slot in slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))]
        assert starts == [9, 11, 12, 13, 14, 15, 16]

    def test_a_larger_buffer_takes_the_neighbouring_slot_too(self, personas):
        therapist = in_zone(personas.therapist, "UTC")
        set_profile(therapist, session_minutes=50, buffer_minutes=15)
        working_week(therapist)
        # With a 15-minute buffer the grid is 09:00, 10:05, 11:10, ...; 11:10-12:00 (+15 either side).
        add_appointment(therapist, personas.patient, utc(2026, 12, 7, 11, 10))
        starts = [slot.start for slot in slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))]
        assert utc(2026, 12, 7, 10, 5) in starts  # ends 10:55, exactly at 11:10 minus 15
        assert utc(2026, 12, 7, 11, 10) not in starts
        assert utc(2026, 12, 7, 12, 15) in starts  # starts exactly 15 minutes after 12:00
        add_appointment(therapist, personas.patient, utc(2026, 12, 7, 13, 10))  # off the grid
        starts = [slot.start for slot in slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))]
        assert utc(2026, 12, 7, 12, 15) not in starts  # ends 13:05, after 13:10 minus 15
        assert utc(2026, 12, 7, 13, 20) not in starts
        assert utc(2026, 12, 7, 14, 25) in starts  # 14:00 plus 15 is 14:15

    @pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NOSHOW])
    def test_cancelled_and_missed_appointments_free_their_time(self, personas, status):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        add_appointment(therapist, personas.patient, utc(2026, 12, 7, 10), status=status)
        assert len(slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))) == 8

    def test_another_therapists_appointment_takes_nothing(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        add_appointment(personas.other_therapist, personas.other_patient, utc(2026, 12, 7, 10))
        assert len(slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"))) == 8

    def test_the_appointment_being_moved_does_not_block_its_own_neighbourhood(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        moving = add_appointment(therapist, personas.patient, utc(2026, 12, 7, 10, 30))
        slots = slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"), ignoring=moving)
        assert len(slots) == 8


@pytest.mark.django_db
class TestNoticeAndHorizon:
    def test_slots_in_the_past_are_never_offered(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        working_week(therapist)
        now = utc(2026, 12, 7, 12, 30)
        slots = slots_on(therapist, date(2026, 12, 7), ZoneInfo("UTC"), now=now)
        assert [slot.start.hour for slot in slots] == [13, 14, 15, 16]

    def test_patients_cannot_see_slots_inside_the_minimum_notice(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        set_profile(therapist, minimum_notice_hours=24)
        working_week(therapist)
        now = utc(2026, 12, 7, 12, 30)  # Monday
        start, end = utc(2026, 12, 7), utc(2026, 12, 9)
        for_patient = open_slots(therapist, start, end, now=now)
        for_therapist = open_slots(therapist, start, end, now=now, for_patient=False)
        assert for_patient[0].start == utc(2026, 12, 8, 13)
        assert for_therapist[0].start == utc(2026, 12, 7, 13)

    def test_patients_cannot_see_slots_beyond_the_booking_horizon(self, personas):
        therapist = hourly(in_zone(personas.therapist, "UTC"))
        set_profile(therapist, minimum_notice_hours=0, booking_horizon_days=7)
        working_week(therapist)
        now = utc(2026, 12, 7, 9, 30)
        for_patient = open_slots(therapist, now, now + timedelta(days=20), now=now)
        for_therapist = open_slots(therapist, now, now + timedelta(days=20), now=now, for_patient=False)
        assert for_patient[-1].start == utc(2026, 12, 14, 9)
        assert for_therapist[-1].start > utc(2026, 12, 25)
