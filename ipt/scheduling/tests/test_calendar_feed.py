"""The private calendar feed: its settings page, the feed parsed back with icalendar, revocation."""

from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from ipt.audit.models import AuditEvent
from ipt.scheduling.actions import reschedule_appointment
from ipt.scheduling.models import AppointmentStatus, CalendarFeed
from ipt.scheduling.tests.conftest import add_appointment
from ipt.scheduling.views.calendar import token_hash

# Words from the course, its problem area, inventory and referral (see the personas and make_course).
CLINICAL_WORDS = ("dispute", "grief", "sam", "secret-referral", "phase", "middle", "course", "problem")


def feed_path_of(client: Client) -> str:
    """Create the feed on the settings page (if there is none yet) and return its path."""
    if client.get(reverse("calendar_settings")).context["feed"] is None:
        client.post(reverse("calendar_settings"), {"action": "create"})
    response = client.get(reverse("calendar_settings"))
    assert response.status_code == 200
    url = response.context["feed_url"]
    assert url.endswith(".ics")
    assert url.startswith(settings.SITE_URL + "/calendar/feed/")
    return urlsplit(url).path


def read_feed(path: str) -> Calendar:
    response = Client().get(path)  # a calendar app: no session
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def assert_no_clinical_words(text: str) -> None:
    lowered = text.lower()
    for word in CLINICAL_WORDS:
        assert word not in lowered, f"{word!r} appears in {text!r}"


@pytest.fixture
def appointments(personas, course):
    """The patient's appointments with the therapist across the feed's window, and one of another pair."""
    now = timezone.now().replace(microsecond=0)
    therapist, patient = personas.therapist, personas.patient
    rows = {
        "upcoming": add_appointment(therapist, patient, now + timedelta(days=3), course=course),
        "held": add_appointment(
            therapist, patient, now - timedelta(days=10), status=AppointmentStatus.FULFILLED, course=course
        ),
        "missed": add_appointment(
            therapist, patient, now - timedelta(days=5), status=AppointmentStatus.NOSHOW, course=course
        ),
        "cancelled": add_appointment(
            therapist, patient, now + timedelta(days=4), status=AppointmentStatus.CANCELLED, course=course
        ),
        "long_ago": add_appointment(
            therapist, patient, now - timedelta(days=45), status=AppointmentStatus.FULFILLED, course=course
        ),
        "too_far": add_appointment(therapist, patient, now + timedelta(days=400), course=course),
        "others": add_appointment(personas.other_therapist, personas.other_patient, now + timedelta(days=3)),
    }
    rows["cancelled"].cancelled_at = now - timedelta(days=1)
    rows["cancelled"].save(update_fields=["cancelled_at"])
    return rows


def test_a_patient_subscribes_and_sees_their_sessions_with_their_therapist(
    client_for, personas, appointments
):
    personas.patient.time_zone = "Europe/Dublin"
    personas.patient.save(update_fields=["time_zone"])
    path = feed_path_of(client_for("patient"))

    calendar = read_feed(path)
    events = events_by_uid(calendar)

    shown = {"upcoming", "held", "cancelled"}
    assert set(events) == {f"{appointments[name].pk}@ipt-online" for name in shown}
    upcoming = events[f"{appointments['upcoming'].pk}@ipt-online"]
    assert str(upcoming["SUMMARY"]) == "Session with Thea Rapist"
    assert upcoming.decoded("DTSTART") == appointments["upcoming"].start
    assert upcoming.decoded("DTSTART").utcoffset() == timedelta(0)
    assert upcoming.decoded("DTEND") == appointments["upcoming"].end
    assert str(upcoming["STATUS"]) == "CONFIRMED"
    assert int(upcoming["SEQUENCE"]) == 0
    page = settings.SITE_URL + reverse("appointment_detail", args=[appointments["upcoming"].pk])
    assert str(upcoming["URL"]) == page
    assert str(upcoming["DESCRIPTION"]) == page
    cancelled = events[f"{appointments['cancelled'].pk}@ipt-online"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    assert_no_clinical_words(calendar.to_ical().decode())


def test_a_therapist_sees_first_name_and_last_initial_in_utc_whatever_their_zone(
    client_for, personas, appointments
):
    personas.therapist.time_zone = "America/New_York"
    personas.therapist.save(update_fields=["time_zone"])

    calendar = read_feed(feed_path_of(client_for("therapist")))

    upcoming = events_by_uid(calendar)[f"{appointments['upcoming'].pk}@ipt-online"]
    assert str(upcoming["SUMMARY"]) == "Session with Paula T."
    assert upcoming.decoded("DTSTART").tzinfo is not None
    assert upcoming.decoded("DTSTART").astimezone(UTC) == appointments["upcoming"].start
    assert upcoming["DTSTART"].to_ical().decode().endswith("Z")
    assert f"{appointments['others'].pk}@ipt-online" not in events_by_uid(calendar)
    assert_no_clinical_words(calendar.to_ical().decode())


def test_the_link_is_kept_only_encrypted_and_hashed_and_shown_again_unchanged(client_for, personas):
    client = client_for("patient")
    first = feed_path_of(client)
    again = feed_path_of(client)

    assert first == again
    feed = CalendarFeed.objects.get(user=personas.patient)
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 32 random bytes, urlsafe base64
    assert feed.token_hash == token_hash(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM scheduling_calendarfeed WHERE id = %s", [feed.pk])
        (stored,) = cursor.fetchone()
    assert token not in stored


def test_replacing_the_link_makes_the_old_url_a_404_at_once(client_for, personas, appointments):
    client = client_for("patient")
    old = feed_path_of(client)
    read_feed(old)

    response = client.post(reverse("calendar_settings"), {"action": "replace"}, follow=True)

    assert "The old link no longer works" in response.content.decode()
    assert Client().get(old).status_code == 404
    new = feed_path_of(client)
    assert new != old
    assert events_by_uid(read_feed(new))
    assert AuditEvent.objects.filter(action="calendar.feed_replaced", actor=personas.patient).count() == 1


def test_each_token_shows_only_its_owners_rows(client_for, personas, appointments):
    mine = events_by_uid(read_feed(feed_path_of(client_for("patient"))))
    theirs = events_by_uid(read_feed(feed_path_of(client_for("other_patient"))))

    assert set(mine).isdisjoint(theirs)
    assert set(theirs) == {f"{appointments['others'].pk}@ipt-online"}
    assert str(theirs[f"{appointments['others'].pk}@ipt-online"]["SUMMARY"]) == "Session with Otto Therapist"


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/feed/not-a-token.ics",
        "/calendar/feed/" + "A" * 43 + ".ics",
        "/calendar/feed/.ics",
    ],
)
def test_a_wrong_token_is_a_404(client_for, appointments, path):
    feed_path_of(client_for("patient"))
    assert Client().get(path).status_code == 404


def test_a_deactivated_users_feed_is_a_404(client_for, personas, appointments):
    path = feed_path_of(client_for("patient"))
    personas.patient.is_active = False
    personas.patient.save(update_fields=["is_active"])

    assert Client().get(path).status_code == 404


def test_the_feed_refuses_writes(client_for, appointments):
    path = feed_path_of(client_for("patient"))
    assert Client().post(path).status_code == 405


def test_each_feed_read_is_audited_as_its_owner(client_for, personas, appointments):
    path = feed_path_of(client_for("therapist"))
    read_feed(path)
    read_feed(path)

    reads = AuditEvent.objects.filter(action="calendar.feed_read")
    assert reads.count() == 2
    assert {(event.actor_id, event.patient_id) for event in reads} == {(personas.therapist.pk, None)}

    read_feed(feed_path_of(client_for("patient")))
    (patient_read,) = AuditEvent.objects.filter(action="calendar.feed_read", actor=personas.patient)
    assert patient_read.patient_id == personas.patient.pk


def test_a_moved_appointment_shows_the_old_time_cancelled_with_a_higher_sequence_and_the_new_one(
    client_for, personas, utc_hours, course
):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=2)
    old = add_appointment(personas.therapist, personas.patient, start, course=course)
    new = reschedule_appointment(
        actor=personas.therapist, appointment=old, new_start=start + timedelta(hours=2)
    )

    events = events_by_uid(read_feed(feed_path_of(client_for("patient"))))

    assert str(events[f"{old.pk}@ipt-online"]["STATUS"]) == "CANCELLED"
    assert int(events[f"{old.pk}@ipt-online"]["SEQUENCE"]) == 1
    assert str(events[f"{new.pk}@ipt-online"]["STATUS"]) == "CONFIRMED"
    assert events[f"{new.pk}@ipt-online"].decoded("DTSTART") == start + timedelta(hours=2)


@pytest.mark.parametrize("name", ["supervisor", "admin"])
def test_supervisors_and_admins_are_told_there_is_nothing_to_subscribe_to(client_for, personas, name):
    response = client_for(name).get(reverse("calendar_settings"))

    assert response.status_code == 200
    assert "Nothing to subscribe to" in response.content.decode()
    assert not CalendarFeed.objects.exists()


def test_the_settings_page_warns_that_the_link_shows_session_times(client_for, appointments):
    client = client_for("patient")
    feed_path_of(client)
    response = client.get(reverse("calendar_settings"))
    page = response.content.decode()

    assert "Anyone who has it can see when your" in page
    assert "Replace this link" in page
    assert 'href="webcal://' in page


def test_the_settings_page_needs_sign_in(client_for):
    response = client_for("anonymous").get(reverse("calendar_settings"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_visiting_the_page_creates_nothing_until_the_user_asks_for_a_link(client_for, personas):
    client = client_for("therapist")

    page = client.get(reverse("calendar_settings")).content.decode()
    assert "Create my calendar link" in page
    assert "Anyone who has it can see when your" in page
    assert not CalendarFeed.objects.exists()

    client.post(reverse("calendar_settings"), {"action": "create"})
    client.post(reverse("calendar_settings"), {"action": "create"})  # a second click: the same link
    assert CalendarFeed.objects.filter(user=personas.therapist).count() == 1
    assert AuditEvent.objects.filter(action="calendar.feed_created", actor=personas.therapist).count() == 1


def test_a_post_without_a_known_action_changes_nothing(client_for, personas):
    client = client_for("patient")
    path = feed_path_of(client)

    response = client.post(reverse("calendar_settings"), {"junk": "1"}, follow=True)

    assert "Nothing was changed." in response.content.decode()
    assert feed_path_of(client) == path
