"""The mood and interpersonal diary.

The patient (``my/diary/...``) writes one entry a day: mood 0 to 10 and up to three interactions
(someone from their inventory or someone else, what happened, how it felt); today at the top,
past days editable for 30 days, older days read-only. The therapist and the supervisor read the
course's diary (``courses/<id>/diary/``) with the summary since the last held session. The charts
are images (pygal SVG with their own CSP, like the care timeline's); each page puts an accessible
table beside each chart. Every read and write is audited.
"""

import re
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import get_course_for, inventory_for, my_course_or_404
from ipt.care.models import TreatmentCourse
from ipt.lib.charts import svg_image_response
from ipt.lib.forms import posted
from ipt.practice import diary_chart, diary_stats
from ipt.practice.diary_access import as_days, diary_entries_for, week_summary
from ipt.practice.diary_actions import (
    EDIT_WINDOW_DAYS,
    delete_diary_entry,
    is_editable_day,
    save_diary_entry,
    today,
)
from ipt.practice.forms import DIARY_ROWS, DiaryEntryForm, DiaryInteractionForm, diary_interaction_initial

RECENT_DAYS = 14
EARLIER_LIMIT = 30
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
CHARTS = ("mood", "people")


def _read(request, course: TreatmentCourse, detail: dict | None = None) -> None:
    record(
        actor=request.user,
        action="diary.read",
        target=course,
        patient=course.care_team.patient,
        request=request,
        detail=detail,
    )


def _forms(request, course: TreatmentCourse, entry):
    """The entry form and its interaction rows: bound on POST, else filled from ``entry``."""
    people = list(inventory_for(request.user, course))
    data = posted(request)
    initial_rows: list[dict] = []
    entry_initial: dict = {}
    if entry is not None:
        entry_initial = {"mood": entry.mood, "note": entry.note}
        initial_rows = [diary_interaction_initial(i) for i in entry.interactions.all()]
    entry_form = DiaryEntryForm(data, initial=entry_initial)
    rows = [
        DiaryInteractionForm(
            data,
            prefix=f"i{number}",
            people=people,
            initial=initial_rows[number] if number < len(initial_rows) else None,
        )
        for number in range(DIARY_ROWS)
    ]
    for number, row in enumerate(rows):
        # The first row is always open; the others open when they hold something (or on a phone,
        # one tap on "Another person").
        filled = data is not None and any(data.get(f"{row.prefix}-{name}", "").strip() for name in row.fields)
        row.is_open = number == 0 or number < len(initial_rows) or filled
    return entry_form, rows


def _save(request, course: TreatmentCourse, day: date, entry_form, rows) -> list[str]:
    """Save the posted entry; the refusals to show (empty when it was saved)."""
    if not (entry_form.is_valid() and all(row.is_valid() for row in rows)):
        return ["Nothing was saved: see the notes next to the fields below."]
    interactions = [row.interaction() for row in rows]
    try:
        save_diary_entry(
            actor=request.user,
            course=course,
            day=day,
            mood=entry_form.cleaned_data["mood"],
            note=entry_form.cleaned_data["note"],
            interactions=[interaction for interaction in interactions if interaction is not None],
            request=request,
        )
    except ValidationError as error:
        return ["Nothing was saved.", *error.messages]
    return []


def _period_entries(request, course: TreatmentCourse, start: date, end: date) -> list:
    """Entries from ``start`` to ``end``, newest first: the mood chart's accessible twin."""
    return list(diary_entries_for(request.user, course).filter(day__gte=start, day__lte=end))


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_diary(request):
    course = my_course_or_404(request.user)
    day = today(course)
    entries = diary_entries_for(request.user, course)
    entry = entries.filter(day=day).first()
    entry_form, rows = _forms(request, course, entry)
    refusals: list[str] = []
    if request.method == "POST":
        refusals = _save(request, course, day, entry_form, rows)
        if not refusals:
            messages.success(request, "Saved. Thank you for writing today's entry.")
            return redirect("my_diary")
    _read(request, course, {"page": "my_diary"})
    recent = _period_entries(request, course, day - timedelta(days=RECENT_DAYS - 1), day)
    logged = {entry.day for entry in recent}
    missing = [day - timedelta(days=back) for back in range(1, RECENT_DAYS)]
    context = {
        "course": course,
        "day": day,
        "entry": entry,
        "entry_form": entry_form,
        "rows": rows,
        "refusals": refusals,
        "can_write": course.is_active,
        "recent": recent,
        "recent_days": RECENT_DAYS,
        "missing_days": [past for past in missing if past not in logged] if course.is_active else [],
        "people": diary_stats.person_stats(as_days(recent)),
        "has_people": any(row.people for row in rows),
    }
    return render(request, "practice/my_diary.html", context, status=400 if refusals else 200)


def _parse_day(text: str) -> date | None:
    if not DAY_PATTERN.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_diary_day(request, day):
    course = my_course_or_404(request.user)
    parsed = _parse_day(day)
    if parsed is None or parsed > today(course):
        refusal = (
            "That is not a day: give it as YYYY-MM-DD, for example 2026-03-01."
            if parsed is None
            else "That day has not come yet: the diary is for today and past days."
        )
        return render(request, "practice/my_diary_day.html", {"refusal": refusal}, status=404)
    if parsed == today(course) and request.method == "GET":
        return redirect("my_diary")
    entry = diary_entries_for(request.user, course).filter(day=parsed).first()
    entry_form, rows = _forms(request, course, entry)
    editable = course.is_active and is_editable_day(parsed, course)
    refusals: list[str] = []
    if request.method == "POST":
        if request.POST.get("intent") == "delete":
            try:
                delete_diary_entry(actor=request.user, course=course, day=parsed, request=request)
            except ValidationError as error:
                refusals = ["Nothing was deleted.", *error.messages]
            else:
                messages.success(request, f"The entry for {parsed.day} {parsed:%B} is deleted.")
                return redirect("my_diary")
        else:
            refusals = _save(request, course, parsed, entry_form, rows)
            if not refusals:
                messages.success(request, f"Saved your entry for {parsed.day} {parsed:%B}.")
                return redirect("my_diary")
    _read(request, course, {"page": "my_diary_day", "day": parsed.isoformat()})
    context = {
        "course": course,
        "day": parsed,
        "entry": entry,
        "entry_form": entry_form,
        "rows": rows,
        "refusals": refusals,
        "can_write": editable,
        "edit_window": EDIT_WINDOW_DAYS,
        "entry_list": [entry] if entry else [],
        "has_people": any(row.people for row in rows),
    }
    return render(request, "practice/my_diary_day.html", context, status=400 if refusals else 200)


@never_cache
@require_GET
@role_required(Role.PATIENT)
def my_mood_chart(request):
    """The last 14 days as an image (its own CSP, like the timeline's): ``?chart=mood`` (default), the
    mood with interactions, or ``?chart=people``, each person's mood on days with and without contact."""
    course = my_course_or_404(request.user)
    chart = request.GET.get("chart", "mood")
    if chart not in CHARTS:
        return _unknown_chart()
    day = today(course)
    days = as_days(_period_entries(request, course, day - timedelta(days=RECENT_DAYS - 1), day))
    _read(request, course, {"format": "svg", "chart": chart})
    people = diary_stats.person_stats(days) if chart == "people" else []
    return _chart_image(chart, days, people)


@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def course_diary(request, course_id):
    course = get_course_for(request.user, course_id)
    period = week_summary(request.user, course, today(course))
    earlier = list(diary_entries_for(request.user, course).filter(day__lt=period.start)[:EARLIER_LIMIT])
    _read(request, course, {"page": "course_diary", "start": period.start.isoformat()})
    context = {
        "course": course,
        "period": period,
        "summary": period.summary,
        "entries": _period_entries(request, course, period.start, period.end),
        "earlier": earlier,
    }
    return render(request, "practice/course_diary.html", context)


@never_cache
@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def course_mood_chart(request, course_id):
    """``?chart=mood`` (default) or ``?chart=people`` for the period since the last session."""
    course = get_course_for(request.user, course_id)
    chart = request.GET.get("chart", "mood")
    if chart not in CHARTS:
        return _unknown_chart()
    period = week_summary(request.user, course, today(course))
    _read(request, course, {"format": "svg", "chart": chart, "start": period.start.isoformat()})
    return _chart_image(chart, period.days, period.summary.people)


def _unknown_chart() -> HttpResponse:
    return HttpResponse("chart is mood or people.", status=400, content_type="text/plain; charset=utf-8")


def _chart_image(chart: str, days, people) -> HttpResponse:
    """The mood chart of these days, or the people chart of these people's figures."""
    if chart == "people":
        return svg_image_response(diary_chart.render_people(people), "mood-by-person.svg")
    return svg_image_response(diary_chart.render_mood(days), "mood.svg")
