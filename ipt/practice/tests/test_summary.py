"""The pre-session summary: one page for the therapist before each session."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ipt.audit.models import AuditEvent
from ipt.benchmarking.page_queries import uncached_page_queries
from ipt.care.models import CourseStatus, HomeworkStatus, HomeworkTask
from ipt.measures.models import QuestionnaireResponse, ResponseStatus
from ipt.messaging import actions as messaging
from ipt.practice import roleplay_actions
from ipt.practice.diary_actions import today
from ipt.practice.models import DiaryEntry, DiaryInteraction, LessonAssignment
from ipt.safety.models import AlertReason, AlertStatus, RiskAlert
from ipt.scheduling.models import Appointment, AppointmentStatus
from ipt.visits.models import Encounter, EncounterStatus, SessionNote
from ipt.visits.tests.conftest import make_course

CHECK_IN = "CHECKIN-MARKER we went for a walk together"
AGREED_TASK = "AGREED-MARKER ask Sam for one evening a week"
OLD_TASK = "OLD-TASK-MARKER notice one thing Sam does well"
OTHER = "OTHER-TEAM-MARKER"


def url(course) -> str:
    return reverse("course_summary", args=[course.pk])


def encounter(course, number, starts_at, status=EncounterStatus.FINISHED) -> Encounter:
    return Encounter.objects.create(
        course=course,
        number=number,
        phase=CourseStatus.MIDDLE,
        starts_at=starts_at,
        status=status,
        created_by=course.care_team.therapist,
    )


def phq9(course, total, severity, submitted_at, flags=()) -> QuestionnaireResponse:
    return QuestionnaireResponse.objects.create(
        course=course,
        instrument="phq9",
        status=ResponseStatus.COMPLETED,
        total=total,
        severity=severity,
        flags=list(flags),
        started_at=submitted_at - timedelta(minutes=10),
        submitted_at=submitted_at,
        submitted_by=course.care_team.patient,
    )


def diary_day(course, days_ago, mood, feeling=None, person=None, other_person="") -> DiaryEntry:
    entry = DiaryEntry.objects.create(course=course, day=today(course) - timedelta(days=days_ago), mood=mood)
    if feeling:
        DiaryInteraction.objects.create(
            entry=entry, person=person, other_person=other_person, feeling=feeling
        )
    return entry


@pytest.fixture
def record(personas):
    """A course with two held sessions (the last 3 days ago), a cancelled one since, and data around them."""
    now = timezone.now()
    course = make_course(personas.care_team)
    sam = course.inventory.get()
    first = encounter(course, 1, now - timedelta(days=10))
    last = encounter(course, 2, now - timedelta(days=3))
    encounter(course, 3, now - timedelta(days=1), status=EncounterStatus.CANCELLED)
    encounter(course, 4, now + timedelta(days=4), status=EncounterStatus.PLANNED)
    first_note = SessionNote.objects.create(encounter=first)
    last_note = SessionNote.objects.create(encounter=last)
    HomeworkTask.objects.create(course=course, agreed_in=first_note, description=OLD_TASK)
    HomeworkTask.objects.create(
        course=course,
        agreed_in=last_note,
        description=AGREED_TASK,
        status=HomeworkStatus.TRIED,
        check_in=CHECK_IN,
        checked_in_at=now - timedelta(days=1),
    )
    phq9(course, 20, "severe", now - timedelta(days=12))
    phq9(course, 15, "moderately severe", now - timedelta(days=5))  # before the last session
    phq9(course, 8, "mild", now - timedelta(days=1))  # in the period
    diary_day(course, 6, 1)  # before the period
    diary_day(course, 2, 4, feeling="bad", person=sam)
    diary_day(course, 1, 6, feeling="good", person=sam)
    diary_day(course, 0, 8)
    therapist = personas.therapist
    LessonAssignment.objects.create(
        course=course,
        lesson="what-is-ipt",
        assigned_by=therapist,
        assigned_at=now - timedelta(days=10),
        opened_at=now - timedelta(days=2),
        completed_at=now - timedelta(days=2),
    )
    LessonAssignment.objects.create(
        course=course,
        lesson="role-disputes",
        assigned_by=therapist,
        assigned_at=now - timedelta(days=10),
        opened_at=now - timedelta(days=8),
    )
    LessonAssignment.objects.create(course=course, lesson="communication-skills", assigned_by=therapist)
    return course, last


@pytest.fixture
def other_record(personas):
    """The other care team's course, with marked data that must never reach our therapist's page."""
    now = timezone.now()
    course = make_course(personas.other_care_team)
    held = encounter(course, 1, now - timedelta(days=2))
    note = SessionNote.objects.create(encounter=held)
    HomeworkTask.objects.create(
        course=course,
        agreed_in=note,
        description=f"{OTHER} task",
        check_in=f"{OTHER} check-in",
        checked_in_at=now - timedelta(hours=5),
        status=HomeworkStatus.TRIED,
    )
    phq9(course, 27, "severe", now - timedelta(days=1), flags=["suicidal_ideation"])
    diary_day(course, 0, 2, feeling="bad", other_person=f"{OTHER} neighbour")
    RiskAlert.objects.create(course=course, reason=AlertReason.HIGH_RISK, source="other")
    LessonAssignment.objects.create(
        course=course,
        lesson="grief",
        assigned_by=personas.other_therapist,
        opened_at=now - timedelta(hours=3),
        completed_at=now - timedelta(hours=2),
    )
    return course


def test_the_numbers_on_the_page_match_the_period_since_the_last_session(client_for, record):
    course, _ = record
    response = client_for("therapist").get(url(course))
    assert response.status_code == 200
    summary = response.context["summary"]
    # Questionnaires: only the one completed since the last session, compared with the one before it.
    assert [(m.total, m.severity, m.previous_total) for m in summary.measures] == [(8, "mild", 15)]
    assert summary.measures[0].comparison.difference == -7
    assert summary.measures[0].comparison.reliable_improvement is True
    html = response.content.decode()
    assert "-7 (from 15" in html and "reliable improvement" in html
    # Diary: the three days logged since the session day, not the day before it.
    diary = summary.diary.summary
    assert (diary.days_logged, diary.mood_mean, diary.mood_min, diary.mood_max) == (3, 6, 4, 8)
    assert diary.days_in_period == 4
    assert re.search(r'id="diary-days">3 of 4<', html)
    assert "mean 6" in html and "lowest 4" in html and "highest 8" in html
    assert "<strong>Sam</strong>: 2 (1 good, 0 mixed, 1 bad); mean mood 5.0 on days with contact, 8.0" in html
    # Work at home: the task agreed in the last session with the patient's check-in.
    assert [task.description for task in summary.homework_agreed] == [AGREED_TASK]
    assert summary.homework_checked_in == []
    assert AGREED_TASK in html and CHECK_IN in html and "Tried it" in html
    # Lessons: the one completed in the period; the one opened before it is not listed.
    assert [(item.slug, item.completed_in_period) for item in summary.lessons] == [("what-is-ipt", True)]
    assert summary.lessons_not_opened == 1
    assert "What IPT is and how a course runs</strong>: completed" in html
    assert "1 assigned lesson not opened yet." in html
    # Every section links to its full page.
    for name in (
        "course_measures",
        "course_diary",
        "course_homework",
        "course_lessons",
        "course_appointments",
    ):
        assert f'href="{reverse(name, args=[course.pk])}"' in html


def test_the_period_starts_at_the_last_held_session_not_a_cancelled_or_planned_one(client_for, record):
    course, last = record
    response = client_for("therapist").get(url(course))
    summary = response.context["summary"]
    assert summary.last_session == last
    assert summary.since == last.starts_at
    assert "Since session 2 on" in response.content.decode()
    assert reverse("session_note", args=[course.pk, last.pk]) in response.content.decode()
    assert OLD_TASK not in response.content.decode()
    assert summary.diary.start == summary.diary.last_session == timezone.localtime(last.starts_at).date()


def test_without_a_held_session_the_period_is_the_last_seven_days(client_for, personas):
    course = make_course(personas.care_team)
    now = timezone.now()
    phq9(course, 12, "moderate", now - timedelta(days=8))
    phq9(course, 10, "moderate", now - timedelta(days=2))
    response = client_for("therapist").get(url(course))
    summary = response.context["summary"]
    assert summary.last_session is None
    assert summary.now - summary.since == timedelta(days=7)
    assert now <= summary.now < now + timedelta(minutes=5)
    assert [(m.total, m.previous_total) for m in summary.measures] == [(10, 12)]
    assert "No session held yet: the last 7 days" in response.content.decode()


def test_a_first_score_is_shown_without_a_change(client_for, personas):
    course = make_course(personas.care_team)
    phq9(course, 9, "mild", timezone.now() - timedelta(hours=1))
    response = client_for("therapist").get(url(course))
    assert response.context["summary"].measures[0].comparison is None
    assert "first score" in response.content.decode()


def test_an_open_alert_is_shown_first_and_a_handled_one_is_not(client_for, record, personas):
    course, _ = record
    RiskAlert.objects.create(course=course, reason=AlertReason.SUICIDAL_IDEATION, source="phq9 response")
    RiskAlert.objects.create(
        course=course,
        reason=AlertReason.HIGH_RISK,
        source="old",
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_by=personas.therapist,
        acknowledged_at=timezone.now(),
    )
    html = client_for("therapist").get(url(course)).content.decode()
    alerts = html.index('id="open-alerts"')
    assert alerts < html.index('id="next-appointment"') < html.index('id="measures"')
    assert "Open risk alerts (1)" in html
    assert "Possible suicidal thoughts" in html
    assert "High risk screen" not in html


def test_no_alert_section_when_nothing_is_open(client_for, record):
    course, _ = record
    html = client_for("therapist").get(url(course)).content.decode()
    assert 'id="open-alerts"' not in html


def test_the_next_appointment_is_in_the_viewers_zone_with_a_join_link_for_its_therapist(
    client_for, record, personas
):
    course, _ = record
    personas.therapist.time_zone = "America/New_York"
    personas.therapist.save(update_fields=["time_zone"])
    start = timezone.now() + timedelta(minutes=5)
    Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        course=course,
        start=start,
        end=start + timedelta(minutes=50),
        created_by=personas.therapist,
    )
    Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        course=course,
        start=start - timedelta(days=1),
        end=start - timedelta(days=1) + timedelta(minutes=50),
        status=AppointmentStatus.CANCELLED,
        created_by=personas.therapist,
    )
    response = client_for("therapist").get(url(course))
    html = response.content.decode()
    local = timezone.localtime(start, response.context["summary"].zone)
    assert str(response.context["summary"].zone) == "America/New_York"
    assert f"{local:%H:%M}–" in html
    assert "Times in America/New_York" in html
    assert "Join the session" in html
    supervisor_html = client_for("supervisor").get(url(course)).content.decode()
    assert "Join the session" not in supervisor_html  # not one of the two people who meet
    assert "Appointment details" in supervisor_html


def test_a_far_appointment_has_no_join_link(client_for, record, personas):
    course, _ = record
    start = timezone.now() + timedelta(days=4)
    Appointment.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        course=course,
        start=start,
        end=start + timedelta(minutes=50),
        created_by=personas.therapist,
    )
    html = client_for("therapist").get(url(course)).content.decode()
    assert "Appointment details" in html
    assert "Join the session" not in html


def test_without_an_appointment_the_page_says_so(client_for, record):
    course, _ = record
    assert "No appointment booked." in client_for("therapist").get(url(course)).content.decode()


def messages_section(html: str) -> str:
    return html[html.index('id="messages"') :]


def test_without_messages_the_page_says_so(client_for, record):
    course, _ = record
    section = messages_section(client_for("therapist").get(url(course)).content.decode())
    assert "No unread messages and none from the patient since the last session." in section


def test_unread_messages_and_the_patients_messages_in_the_period_are_listed(personas, client_for, record):
    course, _ = record
    thread = messaging.start_thread(
        author=personas.patient,
        care_team=personas.care_team,
        subject="SUBJECT-MARKER about Sam",
        body="first",
        client_id=uuid.uuid4(),
    )
    messaging.send_message(sender=personas.patient, thread=thread, client_id=uuid.uuid4(), body="second")
    quiet = messaging.start_thread(
        author=personas.therapist,
        care_team=personas.care_team,
        subject="QUIET-MARKER",
        body="hi",
        client_id=uuid.uuid4(),
    )
    response = client_for("therapist").get(url(course))
    threads = {t.subject: t for t in response.context["summary"].threads}
    assert "QUIET-MARKER" not in threads  # nothing unread and nothing from the patient
    activity = threads["SUBJECT-MARKER about Sam"]
    patient_messages = 2
    auto_replies = thread.messages.filter(is_auto_reply=True).count()
    assert activity.from_patient == patient_messages
    # Automatic replies are written to the patient: not unread for the therapist.
    assert activity.unread == patient_messages
    assert auto_replies <= 1
    section = messages_section(response.content.decode())
    assert reverse("thread_detail", args=[thread.pk]) in section and "2 unread" in section
    assert reverse("thread_detail", args=[quiet.pk]) not in section


def test_the_supervisor_sees_the_patients_messages_but_not_the_therapists_unread_count(
    personas, client_for, record
):
    course, _ = record
    thread = messaging.start_thread(
        author=personas.patient, care_team=personas.care_team, subject="S", body="one", client_id=uuid.uuid4()
    )
    messaging.mark_read(reader=personas.therapist, thread=thread, up_to=thread.messages.last().id)
    therapist_view = client_for("therapist").get(url(course)).context["summary"]
    assert [t.unread for t in therapist_view.threads] == [0]
    assert [t.from_patient for t in therapist_view.threads] == [1]


@pytest.mark.parametrize(
    "persona, status",
    [
        ("therapist", 200),
        ("supervisor", 200),
        ("patient", 403),
        ("other_patient", 403),
        ("other_therapist", 404),
        ("admin", 403),
    ],
)
def test_who_may_open_the_summary(client_for, record, persona, status):
    course, _ = record
    response = client_for(persona).get(url(course))
    assert response.status_code == status
    if status == 200:
        assert AGREED_TASK in response.content.decode() and CHECK_IN in response.content.decode()
    else:
        assert AGREED_TASK.encode() not in response.content
        assert not AuditEvent.objects.filter(action="course.summary.read").exists()


def test_anonymous_is_sent_to_the_login_page(client_for, record):
    course, _ = record
    response = client_for("anonymous").get(url(course))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_course_is_not_found(client_for, record):
    response = client_for("therapist").get(
        reverse("course_summary", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert response.status_code == 404


def test_the_page_is_read_only(client_for, record):
    course, _ = record
    response = client_for("therapist").post(url(course))
    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action="course.summary.read").exists()


def test_the_other_teams_data_never_appears(client_for, record, other_record):
    course, _ = record
    for persona in ("therapist", "supervisor"):
        response = client_for(persona).get(url(course))
        html = response.content.decode()
        assert OTHER not in html
        assert "27" not in re.findall(r'class="measure-total">(\d+)<', html)
        assert "Suicidal ideation flagged" not in html
        assert 'id="open-alerts"' not in html
        assert "Grief" not in html
    other_html = client_for("other_therapist").get(url(other_record)).content.decode()
    assert AGREED_TASK not in other_html and CHECK_IN not in other_html
    assert f"{OTHER} task" in other_html  # their own page does show their own data
    assert "Open risk alerts (1)" in other_html


def test_reading_the_summary_is_audited(client_for, record, personas):
    course, last = record
    client_for("supervisor").get(url(course))
    event = AuditEvent.objects.get(action="course.summary.read")
    assert event.actor == personas.supervisor
    assert event.patient == personas.patient
    assert event.object_id == str(course.pk)
    assert event.detail["since"] == last.starts_at.isoformat()
    assert event.detail["measures"] == 1
    assert CHECK_IN not in str(event.detail)


def test_a_check_in_on_an_older_task_in_the_period_is_listed_with_its_session(client_for, record):
    course, _ = record
    task = HomeworkTask.objects.get(course=course, agreed_in__encounter__number=1)
    task.status = HomeworkStatus.NOT_TRIED
    task.check_in = "LATE-CHECKIN-MARKER no time this week"
    task.checked_in_at = timezone.now() - timedelta(hours=2)
    task.save()
    response = client_for("therapist").get(url(course))
    assert [t.description for t in response.context["summary"].homework_checked_in] == [OLD_TASK]
    html = response.content.decode()
    assert "LATE-CHECKIN-MARKER no time this week" in html
    assert "(from session 1)" in html and "Did not get to it" in html


def test_the_page_reads_in_a_fixed_number_of_queries_whatever_the_number_of_rows(client_for, record):
    course, _ = record
    client = client_for("therapist")
    response, few = uncached_page_queries(client, url(course))
    assert response.status_code == 200
    now = timezone.now()
    first_note = SessionNote.objects.get(encounter__course=course, encounter__number=1)
    for number in range(3):
        RiskAlert.objects.create(course=course, reason=AlertReason.HIGH_RISK, source=f"extra {number}")
        HomeworkTask.objects.create(
            course=course, agreed_in=first_note, description="extra", checked_in_at=now - timedelta(hours=1)
        )
        phq9(course, 5 + number, "mild", now - timedelta(hours=number + 1))
        messaging.start_thread(
            author=course.care_team.patient,
            care_team=course.care_team,
            subject=f"extra {number}",
            body="extra",
            client_id=uuid.uuid4(),
        )
    response, many = uncached_page_queries(client, url(course))
    assert response.status_code == 200
    assert len(many) == len(few)


def test_role_play_practice_in_the_period_is_listed_with_what_the_analyser_found(
    personas, client_for, record
):
    course, _ = record
    session = roleplay_actions.start_session(
        actor=personas.patient, course=course, scenario_slug="partner-share-the-load"
    )
    roleplay_actions.take_turn(
        actor=personas.patient, session=session, text="You never help. It's your fault."
    )
    html = client_for("therapist").get(url(course)).content.decode()
    section = html[html.index('id="roleplay"') : html.index('id="messages"')]
    assert "1 turn" in section and "No role-play practice" not in section
    assert "blame or a you-accusation 1" in section and "generalisation (always / never) 1" in section
    # the transcript itself is on the page: the patient's line with the words the analyser marked
    assert '<mark class="cf-problem" title="Blame or a you-accusation">You never' in section
    assert "your fault" in section and section.count('class="rp-turn') == session.turns.count() == 3
    assert reverse("course_roleplay", args=[course.pk]) in section
