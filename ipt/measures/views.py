"""Questionnaire pages: the therapist's measures page for a course, the patient's forms and results,
and each instrument's chart as an SVG image (served with its own CSP, like the timeline chart)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import (
    get_course_for,
    is_course_therapist,
    my_course_or_404,
    require_therapist,
)
from ipt.care.models import TreatmentCourse
from ipt.lib.charts import svg_image_response
from ipt.lib.forms import posted
from ipt.measures import access, actions, change, charts
from ipt.measures.forms import AssignForm, answers_from, item_field_name
from ipt.measures.instruments import gad, pcl5, phq, registry, wsas
from ipt.measures.instruments.base import ScoringError
from ipt.measures.models import QuestionnaireResponse, ResponseStatus
from ipt.safety.access import alerts_for
from ipt.safety.models import AlertStatus
from ipt.safety.views import crisis_panel_context
from ipt.visits.models import Encounter, EncounterStatus

STAFF = (Role.THERAPIST, Role.SUPERVISOR)
TOPICS = {
    "phq9": "depression",
    "phq2": "depression",
    "epds": "depression",
    "gad7": "anxiety",
    "gad2": "anxiety",
    "pcl5": "post-traumatic stress",
    "pg13r": "grief",
}

# The question each form opens with. The Instrument interface has no field for it yet, so it is
# taken from the instrument modules that define one.
STEMS = {
    "phq9": phq.STEM,
    "phq2": phq.STEM,
    "gad7": gad.STEM,
    "gad2": gad.STEM,
    "pcl5": pcl5.STEM,
    "wsas": wsas.STEM,
}

# Band labels that read well in "Your answers suggest ... symptoms".
SEVERITY_WORDS = {
    "minimal": "few or no",
    "mild": "mild",
    "moderate": "moderate",
    "moderately severe": "moderately severe",
    "severe": "severe",
}


def _read(request, course: TreatmentCourse, action: str, detail: dict | None = None) -> None:
    record(
        actor=request.user,
        action=action,
        target=course,
        patient=course.care_team.patient,
        request=request,
        detail=detail,
    )


def _instrument_or_404(code: str):
    try:
        return registry.get(code)
    except KeyError:
        raise Http404("No such questionnaire.") from None


def plain_result(response: QuestionnaireResponse) -> str:
    """The result in plain, kind words for the patient."""
    instrument = registry.get(response.instrument)
    topic = TOPICS.get(response.instrument)
    if topic and response.severity in SEVERITY_WORDS:
        return f"Your answers suggest {SEVERITY_WORDS[response.severity]} {topic} symptoms."
    if response.total is not None:
        return f"Your score is {response.total} (the scale goes from {instrument.minimum} to {instrument.maximum})."
    return "Thank you: your answers have been saved."


def _results_by_instrument(responses, course: TreatmentCourse, series: dict | None = None) -> list[dict]:
    """Completed responses per instrument; with ``series`` (staff pages) the change figures too."""
    completed = [response for response in responses if response.status == ResponseStatus.COMPLETED]
    codes = list(dict.fromkeys(response.instrument for response in completed))
    groups = []
    for code in codes:
        rows = [response for response in completed if response.instrument == code]
        groups.append(
            {
                "code": code,
                "title": access.instrument_title(code),
                "rows": rows,
                "latest": rows[-1],
                "chart_url": reverse("course_measure_chart", args=[course.pk, code]),
                "change": change.summarise(code, series.get(code, [])) if series is not None else [],
            }
        )
    return groups


def _recovery(series: dict) -> list[tuple[str, str]]:
    """NHS Talking Therapies recovery, when the course has both PHQ-9 and GAD-7 scores."""
    phq9, gad7 = series.get("phq9"), series.get("gad7")
    if not phq9 or not gad7:
        return []
    figures = []
    for label, value in (
        ("Recovery (PHQ-9 and GAD-7 below caseness)", change.recovery(phq9, gad7)),
        ("Reliable recovery", change.reliable_recovery(phq9, gad7)),
    ):
        if value is not None:
            figures.append((label, "yes" if value else "no"))
    return figures


# Staff ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def course_measures(request, course_id):
    course = get_course_for(request.user, course_id)
    can_write = is_course_therapist(request.user, course)
    form = AssignForm(posted(request)) if can_write else None
    if request.method == "POST":
        if not can_write:
            require_therapist(request.user, course)
        if form.is_valid():
            try:
                actions.assign_instrument(
                    actor=request.user, course=course, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, f"{access.instrument_title(form.cleaned_data['instrument'])} assigned."
                )
                return redirect("course_measures", course.pk)
    assignments = list(access.assignments_for(request.user, course).filter(is_active=True))
    due = {item.assignment.pk: item for item in access.due_for_course(course)}
    responses = list(access.responses_for(request.user, course))
    series = access.series_for_course(course, responses)
    alerts = list(alerts_for(request.user).filter(course=course).order_by("-created_at")[:10])
    _read(request, course, "measures.read")
    context = {
        "course": course,
        "can_write": can_write,
        "form": form,
        "assignments": [
            (assignment, access.instrument_title(assignment.instrument), due.get(assignment.pk))
            for assignment in assignments
        ],
        "groups": _results_by_instrument(responses, course, series),
        "recovery": _recovery(series),
        "alerts": alerts,
        "open_alerts": [alert for alert in alerts if alert.status == AlertStatus.OPEN],
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "measures/course_measures.html", context, status=status)


def _assignment_action(request, course_id, assignment_id):
    course = get_course_for(request.user, course_id)
    require_therapist(request.user, course)
    return course, access.get_assignment_for(request.user, course, assignment_id)


def _intent(request, expected: str) -> bool:
    """Buttons name what they do (``intent``): a POST without it changes nothing."""
    return request.POST.get("intent") == expected


NO_INTENT = "Nothing was changed: use the buttons on the page."


@require_POST
@role_required(Role.THERAPIST)
def stop_measure(request, course_id, assignment_id):
    course, assignment = _assignment_action(request, course_id, assignment_id)
    if not _intent(request, "stop"):
        return HttpResponse(NO_INTENT, status=400)
    actions.stop_assignment(actor=request.user, assignment=assignment, request=request)
    messages.success(request, f"{access.instrument_title(assignment.instrument)} stopped.")
    return redirect("course_measures", course.pk)


@require_POST
@role_required(Role.THERAPIST)
def remind_measure(request, course_id, assignment_id):
    course, assignment = _assignment_action(request, course_id, assignment_id)
    if not assignment.is_active:
        raise Http404("No such questionnaire.")
    if not _intent(request, "remind"):
        return HttpResponse(NO_INTENT, status=400)
    actions.send_reminder(actor=request.user, assignment=assignment, request=request)
    messages.success(request, "Reminder email sent.")
    return redirect("course_measures", course.pk)


@never_cache
@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR, Role.PATIENT)
def measure_chart(request, course_id, code):
    course = get_course_for(request.user, course_id)
    _instrument_or_404(code)
    rows = access.responses_for(request.user, course).filter(instrument=code, status=ResponseStatus.COMPLETED)
    points = [
        charts.Point(day=timezone.localdate(row.submitted_at), total=row.total)
        for row in rows
        if row.total is not None and row.submitted_at
    ]
    sessions = [
        charts.Session(number=number, day=timezone.localdate(starts_at))
        for number, starts_at in Encounter.objects.filter(
            course=course, status=EncounterStatus.FINISHED
        ).values_list("number", "starts_at")
    ]
    _read(request, course, "measures.read", {"format": "svg", "instrument": code})
    svg = charts.render(code, points, sessions)
    return svg_image_response(svg, f"{code}.svg")


# Patient -------------------------------------------------------------------------------------------


@require_GET
@role_required(Role.PATIENT)
def my_questionnaires(request):
    course = my_course_or_404(request.user)
    responses = list(access.responses_for(request.user, course))
    _read(request, course, "questionnaires.read")
    context = {
        "course": course,
        "due_questionnaires": access.due_questionnaires(course),
        "groups": _results_by_instrument(responses, course),
    }
    return render(request, "measures/my_questionnaires.html", context)


@require_POST
@role_required(Role.PATIENT)
def start_questionnaire(request, assignment_id):
    course = my_course_or_404(request.user)
    assignment = access.get_assignment_for(request.user, course, assignment_id)
    if not assignment.is_active:
        raise Http404("No such questionnaire.")
    if not _intent(request, "start"):
        return HttpResponse(NO_INTENT, status=400)
    response = actions.start_response(actor=request.user, assignment=assignment, request=request)
    return redirect("my_questionnaire", response.pk)


def _own_response(request, response_id) -> QuestionnaireResponse:
    response = access.get_own_response(request.user, response_id)
    if response.course_id != my_course_or_404(request.user).pk:
        raise Http404("No such questionnaire.")
    return response


def _questions(instrument, answers) -> list[dict]:
    answers = list(answers or [])
    return [
        {
            "item": item,
            "name": item_field_name(item.number),
            "value": answers[index] if index < len(answers) else None,
        }
        for index, item in enumerate(instrument.items)
    ]


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_questionnaire(request, response_id):
    response = _own_response(request, response_id)
    if response.status == ResponseStatus.COMPLETED:
        return redirect("my_questionnaire_result", response.pk)
    instrument = _instrument_or_404(response.instrument)
    errors: list[str] = []
    answers = list(response.answers or [])
    if request.method == "POST" and not _intent(request, "submit"):
        errors.append(NO_INTENT)
    elif request.method == "POST":
        given, errors = answers_from(request.POST, instrument)
        answers += [None] * (len(instrument.items) - len(answers))
        for number, value in given.items():
            answers[number - 1] = value
        if not errors:
            try:
                actions.submit_response(
                    actor=request.user, response=response, answers=answers, request=request
                )
            except ScoringError as error:
                errors.append(_missing_message(error))
            except ValidationError as error:
                errors += error.messages
            else:
                return redirect("my_questionnaire_result", response.pk)
    else:
        _read(request, response.course, "questionnaire.read", {"instrument": response.instrument})
    context = {
        "response": response,
        "instrument": instrument,
        "stem": STEMS.get(instrument.code, ""),
        "questions": _questions(instrument, answers),
        "errors": errors,
        "answered": sum(1 for value in answers if value is not None),
    }
    return render(request, "measures/my_questionnaire.html", context, status=400 if errors else 200)


def _missing_message(error: ScoringError) -> str:
    if error.item:
        return f"Question {error.item}: please choose an answer. ({error.message})"
    return error.message


@require_POST
@role_required(Role.PATIENT)
def autosave_answers(request, response_id):
    """htmx: save what the patient has chosen so far; a reload shows it again."""
    response = _own_response(request, response_id)
    instrument = _instrument_or_404(response.instrument)
    given, errors = answers_from(request.POST, instrument)
    if errors or not given:
        return HttpResponse(" ".join(errors) or "No answer to save.", status=400)
    try:
        actions.save_answers(actor=request.user, response=response, answers=given, request=request)
    except (ScoringError, ValidationError) as error:
        return HttpResponse(getattr(error, "message", None) or "; ".join(error.messages), status=400)
    answered = sum(1 for value in response.answers if value is not None)
    return HttpResponse(f"Saved: {answered} of {len(instrument.items)} answered.")


@require_GET
@role_required(Role.PATIENT)
def my_questionnaire_result(request, response_id):
    response = _own_response(request, response_id)
    if response.status != ResponseStatus.COMPLETED:
        return redirect("my_questionnaire", response.pk)
    _read(request, response.course, "questionnaire.read", {"instrument": response.instrument})
    flagged = actions.SUICIDAL_IDEATION in (response.flags or [])
    context = {
        "response": response,
        "title": access.instrument_title(response.instrument),
        "plain": plain_result(response),
        "flagged": flagged,
        **(crisis_panel_context(request.user) if flagged else {}),
    }
    return render(request, "measures/my_result.html", context)
