"""Lessons: the therapist assigns them on the course page; the patient reads them on a phone.

A patient may read any lesson; only assigned lessons are tracked (opened once, then "Mark as
read"). Every read of the patient's assignments is audited as ``lessons.read``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import (
    get_course_for,
    is_course_therapist,
    my_course_or_404,
    problem_areas_for,
    require_therapist,
)
from ipt.practice.access import get_my_lesson_assignment, lesson_assignments_for
from ipt.practice.lesson_actions import (
    NOTE_MAX_LENGTH,
    assign_lesson,
    mark_lesson_completed,
    mark_lesson_opened,
    unassign_lesson,
)
from ipt.practice.lessons import LESSONS, get_lesson, suggestion_reason

UNKNOWN_INTENT = "Choose one of the buttons on the page and try again."


def _read(request, course, target, **detail) -> None:
    record(
        actor=request.user,
        action="lessons.read",
        target=target,
        patient=course.care_team.patient,
        request=request,
        detail=detail,
    )


def _change_assignment(request, course) -> list[str]:
    """Run the posted assign/unassign; the refusals to show (none: it worked, a message is queued)."""
    intent = request.POST.get("intent", "")
    slug = request.POST.get("lesson", "")
    lesson = get_lesson(slug)
    try:
        if intent == "assign":
            assign_lesson(
                actor=request.user,
                course=course,
                lesson=slug,
                note=request.POST.get("note", ""),
                request=request,
            )
            messages.success(request, f"“{lesson.title if lesson else slug}” is assigned.")
        elif intent == "unassign":
            assignment = lesson_assignments_for(request.user, course).filter(lesson=slug).first()
            if assignment is None:
                return ["This lesson is not assigned; reload the page to see the current list."]
            unassign_lesson(actor=request.user, assignment=assignment, request=request)
            messages.success(request, f"“{lesson.title if lesson else slug}” is no longer assigned.")
        else:
            return [UNKNOWN_INTENT]
    except ValidationError as error:
        return error.messages
    return []


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def course_lessons(request, course_id):
    course = get_course_for(request.user, course_id)
    refusals: list[str] = []
    if request.method == "POST":
        require_therapist(request.user, course)
        refusals = _change_assignment(request, course)
        if not refusals:
            return redirect("course_lessons", course.pk)
    _read(request, course, course)
    assigned = {a.lesson: a for a in lesson_assignments_for(request.user, course)}
    area_kinds = [area.kind for area in problem_areas_for(request.user, course)]
    rows = [
        {
            "lesson": lesson,
            "assignment": assigned.get(lesson.slug),
            "suggestion": suggestion_reason(lesson, status=course.status, area_kinds=area_kinds),
        }
        for lesson in LESSONS
    ]
    context = {
        "course": course,
        "rows": rows,
        "can_write": is_course_therapist(request.user, course) and course.is_active,
        "note_max_length": NOTE_MAX_LENGTH,
        "refusals": refusals,
    }
    return render(request, "practice/course_lessons.html", context, status=400 if refusals else 200)


@require_http_methods(["GET"])
@role_required(Role.PATIENT)
def my_lessons(request):
    course = my_course_or_404(request.user)
    _read(request, course, course)
    assignments = [
        (assignment, get_lesson(assignment.lesson))
        for assignment in lesson_assignments_for(request.user, course)
    ]
    assigned = [(assignment, lesson) for assignment, lesson in assignments if lesson is not None]
    assigned_slugs = {lesson.slug for _, lesson in assigned}
    context = {
        "course": course,
        "assigned": assigned,
        "available": [lesson for lesson in LESSONS if lesson.slug not in assigned_slugs],
    }
    return render(request, "practice/my_lessons.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_lesson(request, lesson):
    found = get_lesson(lesson)
    if found is None:
        raise Http404("No such lesson.")
    course = my_course_or_404(request.user)
    assignment = get_my_lesson_assignment(request.user, found.slug)
    refusals: list[str] = []
    if request.method == "POST":
        if request.POST.get("intent") != "complete":
            refusals.append(UNKNOWN_INTENT)
        elif assignment is None:
            refusals.append(
                "This lesson is not on your list from your therapist, so there is nothing to mark. "
                "You are welcome to read it."
            )
        else:
            mark_lesson_completed(actor=request.user, assignment=assignment, request=request)
            messages.success(request, "Marked as read. Well done for taking the time.")
            return redirect("my_lessons")
    _read(request, course, assignment or course, lesson=found.slug)
    if request.method == "GET" and assignment is not None and assignment.opened_at is None:
        mark_lesson_opened(actor=request.user, assignment=assignment, request=request)
    context = {"course": course, "lesson": found, "assignment": assignment, "refusals": refusals}
    return render(request, "practice/my_lesson.html", context, status=400 if refusals else 200)
