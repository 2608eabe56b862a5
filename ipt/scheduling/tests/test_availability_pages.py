"""The therapist's availability page: booking rules, time zone, weekly hours, exceptions, preview."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pycountry
import pytest
from django.urls import reverse
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.scheduling.access import profile_of
from ipt.scheduling.models import AvailabilityException, TherapistProfile, WeeklyHours
from ipt.scheduling.tests.conftest import working_week

URL = "/schedule/availability/"
# 166 country codes fit the field as typed ("AD,AE,..."), but not once written out as "AD, AE, ...".
MANY_COUNTRIES = ",".join(sorted(country.alpha_2 for country in pycountry.countries)[:166])
TOKYO = ZoneInfo("Asia/Tokyo")


def rules(**overrides) -> dict:
    data = {
        "step": "profile",
        "session_minutes": "50",
        "buffer_minutes": "10",
        "minimum_notice_hours": "12",
        "booking_horizon_days": "42",
        "late_cancellation_hours": "24",
        "licensed_jurisdictions": "",
        "time_zone": "America/New_York",
    }
    data.update(overrides)
    return data


@pytest.fixture
def tokyo(personas):
    personas.therapist.time_zone = "Asia/Tokyo"
    personas.therapist.save(update_fields=["time_zone"])
    return personas.therapist


def test_the_url_map_names_the_page():
    assert reverse("availability") == URL


@pytest.mark.django_db
def test_the_therapist_sees_their_availability_in_their_zone(personas, tokyo, client_for):
    working_week(tokyo, starts=time(9), ends=time(12), weekdays=[0])
    response = client_for("therapist").get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Asia/Tokyo" in html
    assert "09:00–12:00" in html
    assert 'name="licensed_jurisdictions"' in html and 'name="time_zone"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["patient", "supervisor", "admin"])
def test_only_therapists_have_an_availability_page(personas, client_for, persona):
    client = client_for(persona)
    assert client.get(URL).status_code == 403
    response = client.post(
        URL, {"step": "add_hours", "hours-weekday": "0", "hours-starts": "09:00", "hours-ends": "17:00"}
    )
    assert response.status_code == 403
    assert not WeeklyHours.objects.exists()


@pytest.mark.django_db
def test_the_therapist_saves_booking_rules_jurisdictions_and_zone(personas, client_for):
    response = client_for("therapist").post(
        URL,
        rules(
            session_minutes="45", licensed_jurisdictions="us-ny, GB-ENG ,IE, US-NY", time_zone="Europe/Dublin"
        ),
    )
    assert response.status_code == 302
    profile = profile_of(personas.therapist)
    personas.therapist.refresh_from_db()
    assert profile.session_minutes == 45
    assert profile.licensed_jurisdictions == "US-NY, GB-ENG, IE"
    assert personas.therapist.time_zone == "Europe/Dublin"
    event = AuditEvent.objects.get(action="availability.change")
    assert event.actor == personas.therapist and event.patient is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"licensed_jurisdictions": "US-NY, US-XX"}, "“US-XX” is not an ISO 3166"),
        ({"licensed_jurisdictions": "ZZ"}, "“ZZ” is not an ISO 3166"),
        ({"licensed_jurisdictions": "New York"}, "“NEW YORK” is not an ISO 3166"),
        ({"licensed_jurisdictions": MANY_COUNTRIES}, "That is too many codes to keep"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Select a valid choice"),
        ({"session_minutes": "5"}, "greater than or equal to 15"),
        ({"booking_horizon_days": "0"}, "greater than or equal to 1"),
        ({"late_cancellation_hours": "-1"}, "greater than or equal to 0"),
    ],
)
def test_bad_booking_rules_are_refused_and_nothing_changes(personas, client_for, overrides, message):
    response = client_for("therapist").post(URL, rules(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    personas.therapist.refresh_from_db()
    assert personas.therapist.time_zone == "UTC"
    profile = profile_of(personas.therapist)
    assert profile.licensed_jurisdictions == "" and profile.session_minutes == 50
    assert not AuditEvent.objects.filter(action="availability.change").exists()


@pytest.mark.django_db
def test_weekly_hours_are_added_and_removed(personas, client_for):
    client = client_for("therapist")
    response = client.post(
        URL, {"step": "add_hours", "hours-weekday": "2", "hours-starts": "13:00", "hours-ends": "17:30"}
    )
    assert response.status_code == 302
    block = WeeklyHours.objects.get(therapist=personas.therapist)
    assert (block.weekday, block.starts, block.ends) == (2, time(13), time(17, 30))
    assert "13:00–17:30" in client.get(URL).content.decode()
    response = client.post(URL, {"step": "remove_hours", "id": str(block.pk)})
    assert response.status_code == 302
    assert not WeeklyHours.objects.exists()
    changes = list(
        AuditEvent.objects.filter(action="availability.change")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert changes == [{"change": "weekly_hours.add"}, {"change": "weekly_hours.remove"}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "starts,ends,message",
    [
        ("17:00", "09:00", "The block must end after it starts."),
        ("09:00", "09:00", "The block must end after it starts."),
        ("11:00", "14:00", "This overlaps your Monday 09:00–12:00"),
        ("08:00", "13:00", "Blocks of one day may not overlap"),
        ("", "14:00", "This field is required."),
    ],
)
def test_bad_weekly_hours_are_refused(personas, client_for, starts, ends, message):
    working_week(personas.therapist, starts=time(9), ends=time(12), weekdays=[0])
    response = client_for("therapist").post(
        URL, {"step": "add_hours", "hours-weekday": "0", "hours-starts": starts, "hours-ends": ends}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert WeeklyHours.objects.count() == 1


@pytest.mark.django_db
def test_blocks_on_different_days_or_back_to_back_may_coexist(personas, client_for):
    working_week(personas.therapist, starts=time(9), ends=time(12), weekdays=[0])
    client = client_for("therapist")
    for weekday, starts, ends in (("1", "10:00", "11:00"), ("0", "12:00", "15:00")):
        response = client.post(
            URL, {"step": "add_hours", "hours-weekday": weekday, "hours-starts": starts, "hours-ends": ends}
        )
        assert response.status_code == 302
    assert WeeklyHours.objects.count() == 3


@pytest.mark.django_db
def test_another_therapists_block_cannot_be_removed(personas, client_for):
    theirs = working_week(personas.other_therapist, weekdays=[0])[0]
    response = client_for("therapist").post(URL, {"step": "remove_hours", "id": str(theirs.pk)}, follow=True)
    assert "no longer exists" in response.content.decode()
    assert WeeklyHours.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_a_closed_day_and_other_hours_are_saved_as_exceptions(personas, tokyo, client_for):
    today = timezone.localdate(timezone.now(), TOKYO)
    client = client_for("therapist")
    closed = today + timedelta(days=3)
    response = client.post(
        URL,
        {
            "step": "add_exception",
            "exception-date": closed.isoformat(),
            "exception-is_available": "closed",
            "exception-note": "Holiday",
        },
    )
    assert response.status_code == 302
    other = today + timedelta(days=4)
    response = client.post(
        URL,
        {
            "step": "add_exception",
            "exception-date": other.isoformat(),
            "exception-is_available": "open",
            "exception-starts": "14:00",
            "exception-ends": "16:00",
        },
    )
    assert response.status_code == 302
    rows = list(
        AvailabilityException.objects.order_by("date").values_list("date", "is_available", "starts", "ends")
    )
    assert rows == [(closed, False, None, None), (other, True, time(14), time(16))]
    html = client.get(URL).content.decode()
    assert "closed" in html and "Holiday" in html and "working 14:00–16:00" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "days,availability,starts,ends,message",
    [
        (-1, "closed", "", "", "That date has passed"),
        (2, "open", "", "", "Give the hours you will work that day"),
        (2, "open", "16:00", "14:00", "The hours must end after they start."),
        (2, "sometimes", "", "", "Select a valid choice"),
    ],
)
def test_bad_exceptions_are_refused(personas, tokyo, client_for, days, availability, starts, ends, message):
    day = timezone.localdate(timezone.now(), TOKYO) + timedelta(days=days)
    response = client_for("therapist").post(
        URL,
        {
            "step": "add_exception",
            "exception-date": day.isoformat(),
            "exception-is_available": availability,
            "exception-starts": starts,
            "exception-ends": ends,
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AvailabilityException.objects.exists()


@pytest.mark.django_db
def test_a_closed_day_cannot_also_have_hours(personas, client_for):
    day = timezone.localdate() + timedelta(days=2)
    AvailabilityException.objects.create(therapist=personas.therapist, date=day, is_available=False)
    response = client_for("therapist").post(
        URL,
        {
            "step": "add_exception",
            "exception-date": day.isoformat(),
            "exception-is_available": "open",
            "exception-starts": "09:00",
            "exception-ends": "10:00",
        },
    )
    assert response.status_code == 400
    assert "is marked closed" in response.content.decode()
    assert AvailabilityException.objects.count() == 1


@pytest.mark.django_db
def test_the_preview_lists_the_next_seven_days_of_slots_on_the_therapists_clock(personas, tokyo, client_for):
    working_week(tokyo, starts=time(9), ends=time(11), weekdays=range(7))
    profile = profile_of(tokyo)
    profile.session_minutes, profile.buffer_minutes, profile.minimum_notice_hours = 50, 10, 48
    profile.save()
    today = timezone.localdate(timezone.now(), TOKYO)
    closed = today + timedelta(days=3)
    AvailabilityException.objects.create(therapist=tokyo, date=closed, is_available=False)
    html = client_for("therapist").get(URL).content.decode()
    preview = html[html.index("Open slots in the next 7 days") :]
    # Tomorrow's slots show although the patient notice (48 h) would hide them from patients.
    tomorrow = today + timedelta(days=1)
    start = datetime.combine(tomorrow, time(9), tzinfo=TOKYO)
    assert start.astimezone(UTC).strftime("%H:%M") == "00:00"  # the UTC clock differs from Tokyo's
    day_block = preview[preview.index(f"{tomorrow:%a} {tomorrow.day} {tomorrow:%b}") :]
    day_block = day_block[: day_block.index("</dd>")]
    assert "09:00" in day_block and "10:00" in day_block
    closed_block = preview[preview.index(f"{closed:%a} {closed.day} {closed:%b}") :]
    assert "none" in closed_block[: closed_block.index("</dd>")]


@pytest.mark.django_db
def test_reading_the_page_writes_nothing_and_the_first_save_keeps_the_rules(personas, client_for):
    client = client_for("therapist")
    assert client.get(URL).status_code == 200
    assert not TherapistProfile.objects.exists()
    assert client.post(URL, rules(buffer_minutes="5")).status_code == 302
    assert TherapistProfile.objects.get(therapist=personas.therapist).buffer_minutes == 5
