"""The lesson catalogue, its bodies, suggestions, and the assign/open/complete actions."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string

from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus, ProblemArea, ProblemAreaKind, ProblemAreaRank, TreatmentCourse
from ipt.practice.lesson_actions import (
    assign_lesson,
    mark_lesson_completed,
    mark_lesson_opened,
    unassign_lesson,
)
from ipt.practice.lessons import LESSONS, get_lesson, suggestion_reason
from ipt.practice.models import LessonAssignment


def make_course(
    care_team, status=CourseStatus.MIDDLE, kinds=(ProblemAreaKind.ROLE_DISPUTE,)
) -> TreatmentCourse:
    course = TreatmentCourse.objects.create(care_team=care_team, status=status, planned_sessions=16)
    for kind, rank in zip(kinds, ProblemAreaRank.values, strict=False):
        ProblemArea.objects.create(course=course, kind=kind, rank=rank)
    return course


@pytest.fixture
def course(personas):
    return make_course(personas.care_team)


def body_words(lesson) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", render_to_string(lesson.template))
    return re.findall(r"[\w’'-]+", text)


# The catalogue -----------------------------------------------------------------------------------


def test_the_catalogue_has_the_eight_lessons_with_unique_slugs():
    slugs = [lesson.slug for lesson in LESSONS]
    assert len(LESSONS) == 8
    assert len(set(slugs)) == 8
    assert all(len(slug) <= 50 and re.fullmatch(r"[a-z0-9-]+", slug) for slug in slugs)


def test_every_problem_area_has_exactly_one_lesson():
    areas = [lesson.problem_area for lesson in LESSONS if lesson.problem_area]
    assert sorted(areas) == sorted(ProblemAreaKind.values)


def test_every_lesson_has_a_title_summary_and_reading_time():
    for lesson in LESSONS:
        assert lesson.title and lesson.summary
        assert 1 <= lesson.minutes <= 10
        assert get_lesson(lesson.slug) is lesson
    assert get_lesson("no-such-lesson") is None


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_each_lesson_body_renders_with_300_to_600_words(lesson):
    words = body_words(lesson)
    assert 300 <= len(words) <= 600, f"{lesson.slug} has {len(words)} words"
    # The reading time shown is honest at a slow, careful pace (about 120 to 170 words a minute).
    assert len(words) / 170 <= lesson.minutes <= len(words) / 120 + 1


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_each_lesson_body_is_a_plain_fragment_without_scripts_or_styles(lesson):
    html = render_to_string(lesson.template).lower()
    assert "<script" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert not re.search(r"<[^>]+\son\w+\s*=", html), "no event-handler attributes"
    assert "<h2" in html and "<p" in html and "<ul" in html


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_each_lesson_ends_by_pointing_to_crisis_help(lesson):
    html = render_to_string(lesson.template)
    last_paragraph = html.strip().rsplit("<p", 1)[-1]
    assert "crisis" in last_paragraph and 'href="/' in last_paragraph


def test_the_communication_lesson_covers_the_primers_list_with_before_and_after_examples():
    html = render_to_string(get_lesson("communication-skills").template).lower()
    for idea in (
        "specific",
        '"i" statements',
        "ask clearly",
        "expectations",
        "their side",
        "stay in",
        "sarcasm",
    ):
        assert idea in html, idea
    assert html.count("before:") >= 7 and html.count("after:") >= 7


# Suggestions -------------------------------------------------------------------------------------


def test_a_problem_area_lesson_is_suggested_only_when_the_course_has_that_area():
    grief = get_lesson("grief")
    assert suggestion_reason(grief, status=CourseStatus.MIDDLE, area_kinds=[ProblemAreaKind.GRIEF])
    assert not suggestion_reason(grief, status=CourseStatus.MIDDLE, area_kinds=[ProblemAreaKind.ROLE_DISPUTE])
    assert not suggestion_reason(grief, status=CourseStatus.MIDDLE, area_kinds=[])


def test_phase_lessons_are_suggested_in_their_phase():
    def suggested(status):
        return {lesson.slug for lesson in LESSONS if suggestion_reason(lesson, status=status, area_kinds=[])}

    assert suggested(CourseStatus.INITIAL) == {"what-is-ipt", "depression-and-the-sick-role"}
    assert suggested(CourseStatus.MIDDLE) == {"communication-skills"}
    assert suggested(CourseStatus.TERMINATION) == {"ending-therapy"}


# Actions -----------------------------------------------------------------------------------------


def audit(action):
    return list(AuditEvent.objects.filter(action=action))


def test_the_therapist_assigns_a_lesson_with_a_note_and_it_is_audited_without_the_note(personas, course):
    assignment = assign_lesson(
        actor=personas.therapist, course=course, lesson="role-disputes", note="  For what we said about Sam. "
    )
    assignment.refresh_from_db()
    assert assignment.note == "For what we said about Sam."
    assert assignment.assigned_by == personas.therapist
    assert assignment.opened_at is None and assignment.completed_at is None
    [event] = audit("lessons.assign")
    assert event.actor == personas.therapist and event.patient == personas.patient
    assert event.object_id == str(assignment.pk)
    assert event.detail == {"lesson": "role-disputes"}
    assert "Sam" not in str(event.detail)


@pytest.mark.parametrize(
    "lesson, note, field",
    [("no-such-lesson", "", "lesson"), ("grief", "x" * 301, "note")],
)
def test_assigning_refuses_an_unknown_lesson_or_a_long_note_and_changes_nothing(
    personas, course, lesson, note, field
):
    with pytest.raises(ValidationError) as refused:
        assign_lesson(actor=personas.therapist, course=course, lesson=lesson, note=note)
    assert field in refused.value.message_dict
    assert not LessonAssignment.objects.exists()
    assert not audit("lessons.assign")


def test_a_note_of_exactly_300_characters_is_accepted(personas, course):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief", note="x" * 300)
    assert len(assignment.note) == 300


def test_assigning_the_same_lesson_twice_is_refused(personas, course):
    assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    with pytest.raises(ValidationError, match="already assigned"):
        assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    assert LessonAssignment.objects.count() == 1
    assert len(audit("lessons.assign")) == 1


@pytest.mark.parametrize("persona", ["supervisor", "other_therapist", "patient", "admin"])
def test_only_the_courses_therapist_can_assign(personas, course, persona):
    with pytest.raises(PermissionDenied):
        assign_lesson(actor=personas.get(persona), course=course, lesson="grief")
    assert not LessonAssignment.objects.exists()


def test_an_ended_course_takes_no_new_lessons(personas):
    ended = make_course(personas.care_team, status=CourseStatus.COMPLETED)
    with pytest.raises(ValidationError, match="ended"):
        assign_lesson(actor=personas.therapist, course=ended, lesson="grief")
    assert not LessonAssignment.objects.exists()


def test_the_therapist_unassigns_a_lesson_and_it_is_audited(personas, course):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    unassign_lesson(actor=personas.therapist, assignment=assignment)
    assert not LessonAssignment.objects.exists()
    [event] = audit("lessons.unassign")
    assert event.object_id == str(assignment.pk) and event.detail["lesson"] == "grief"


def test_the_patient_cannot_unassign(personas, course):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    with pytest.raises(PermissionDenied):
        unassign_lesson(actor=personas.patient, assignment=assignment)
    assert LessonAssignment.objects.count() == 1


def test_opening_sets_opened_at_once_and_audits_once(personas, course):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    mark_lesson_opened(actor=personas.patient, assignment=assignment)
    assignment.refresh_from_db()
    first = assignment.opened_at
    assert first is not None
    mark_lesson_opened(actor=personas.patient, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.opened_at == first
    [event] = audit("lessons.open")
    assert event.actor == personas.patient and event.patient == personas.patient


def test_completing_sets_completed_at_and_opened_at_and_is_audited_once(personas, course):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    mark_lesson_completed(actor=personas.patient, assignment=assignment)
    mark_lesson_completed(actor=personas.patient, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.completed_at is not None and assignment.opened_at is not None
    assert len(audit("lessons.complete")) == 1


@pytest.mark.parametrize("persona", ["therapist", "other_patient", "supervisor"])
def test_only_the_patient_opens_and_completes_their_lesson(personas, course, persona):
    assignment = assign_lesson(actor=personas.therapist, course=course, lesson="grief")
    with pytest.raises(PermissionDenied):
        mark_lesson_opened(actor=personas.get(persona), assignment=assignment)
    with pytest.raises(PermissionDenied):
        mark_lesson_completed(actor=personas.get(persona), assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.opened_at is None and assignment.completed_at is None
