"""Role-play practice pages: the patient rehearses; the therapist writes scenarios and reviews."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import get_course_for, inventory_for, is_course_therapist, my_course_or_404
from ipt.care.models import TreatmentCourse
from ipt.practice import roleplay, roleplay_actions
from ipt.practice.roleplay_access import get_my_scenario, get_my_session, scenarios_for, sessions_for
from ipt.practice.transcript import turn_rows


def _read(request, course: TreatmentCourse, action: str, target=None) -> None:
    record(
        actor=request.user,
        action=action,
        target=target if target is not None else course,
        patient=course.care_team.patient,
        request=request,
    )


@role_required(Role.PATIENT)
def my_roleplay(request):
    course = my_course_or_404(request.user)
    error = None
    if request.method == "POST":
        choice = request.POST.get("scenario", "")
        plays = request.POST.get("plays", "self")
        try:
            if choice.startswith("custom:"):
                scenario = get_my_scenario(request.user, choice.removeprefix("custom:"))
                session = roleplay_actions.start_session(
                    actor=request.user, course=course, scenario=scenario, patient_plays=plays, request=request
                )
            else:
                session = roleplay_actions.start_session(
                    actor=request.user,
                    course=course,
                    scenario_slug=choice,
                    patient_plays=plays,
                    request=request,
                )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("my_roleplay_session", session_id=session.pk)
    _read(request, course, "practice.roleplay.list")
    context = {
        "course": course,
        "library": roleplay.LIBRARY,
        "custom": [roleplay.from_model(s) for s in scenarios_for(request.user, course)],
        "sessions": [
            (s, roleplay_actions.scenario_of(s))
            for s in sessions_for(request.user, course)
            if s.scenario_id or roleplay.library_scenario(s.scenario_slug)
        ],
        "error": error,
    }
    return render(request, "practice/roleplay_list.html", context, status=400 if error else 200)


@role_required(Role.PATIENT)
def my_roleplay_session(request, session_id):
    session = get_my_session(request.user, session_id)
    scenario = roleplay_actions.scenario_of(session)
    error, text = None, ""
    if request.method == "POST":
        action = request.POST.get("action", "say")
        try:
            if action == "swap":
                session = roleplay_actions.swap_roles(actor=request.user, session=session, request=request)
            elif action == "finish":
                roleplay_actions.finish_session(actor=request.user, session=session, request=request)
                messages.success(request, "Saved. Your therapist can go through it with you next session.")
                return redirect("my_roleplay")
            else:
                text = request.POST.get("text", "")
                roleplay_actions.take_turn(actor=request.user, session=session, text=text, request=request)
                text = ""
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if not request.headers.get("HX-Request"):
                return redirect("my_roleplay_session", session_id=session.pk)
        session = get_my_session(request.user, session_id)
    else:
        _read(request, session.course, "practice.roleplay.read", session)
    rows = turn_rows(session, scenario)
    last_mine = next((r for r in reversed(rows) if r["turn"].speaker == "patient"), None)
    context = {
        "session": session,
        "scenario": scenario,
        "rows": rows,
        "last_mine": last_mine,
        "error": error,
        "text": text,
        "max_chars": roleplay_actions.TURN_MAX,
    }
    if request.headers.get("HX-Request"):
        return render(request, "practice/roleplay_conversation.html", context)
    return render(request, "practice/roleplay_session.html", context, status=400 if error else 200)


@role_required(Role.THERAPIST, Role.SUPERVISOR)
def course_roleplay(request, course_id):
    course = get_course_for(request.user, course_id)
    people = inventory_for(request.user, course)
    errors: dict[str, list[str]] = {}
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        if not is_course_therapist(request.user, course):
            raise PermissionDenied("Only the patient's therapist can write scenarios.")
        person = None
        person_id = request.POST.get("other_person", "")
        if person_id:
            person = people.filter(pk=person_id).first() if _is_uuid(person_id) else None
            if person is None:
                errors["other_person"] = ["Choose someone from this patient's interpersonal inventory."]
        if not errors:
            try:
                roleplay_actions.create_scenario(
                    actor=request.user,
                    course=course,
                    title=request.POST.get("title", ""),
                    problem_area=request.POST.get("problem_area", ""),
                    other_person=person,
                    other_name=request.POST.get("other_name", ""),
                    situation=request.POST.get("situation", ""),
                    likely_reactions=request.POST.get("likely_reactions", ""),
                    patient_goal=request.POST.get("patient_goal", ""),
                    request=request,
                )
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            else:
                messages.success(request, "Scenario saved. The patient can practise it now.")
                return redirect("course_roleplay", course_id=course.pk)
    _read(request, course, "practice.roleplay.review")
    transcripts = []
    for session in sessions_for(request.user, course):
        try:
            scenario = roleplay_actions.scenario_of(session)
        except ValidationError:
            continue
        transcripts.append({"session": session, "scenario": scenario, "rows": turn_rows(session, scenario)})
    context = {
        "course": course,
        "people": people,
        "areas": roleplay.PROBLEM_AREAS.items(),
        "scenarios": [roleplay.from_model(s) for s in scenarios_for(request.user, course)],
        "transcripts": transcripts,
        "errors": errors,
        "values": values,
        "can_write": is_course_therapist(request.user, course),
    }
    return render(request, "practice/roleplay_course.html", context, status=400 if errors else 200)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
