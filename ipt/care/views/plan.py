"""The course plan: problem areas, the formulation, the treatment contract and the termination review.

Staff pages: the therapist writes, the supervisor reads. The patient reads the shared versions in
plain words, acknowledges the formulation and signs the contract from their own account.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import (
    contracts_for,
    formulations_for,
    get_course_for,
    get_problem_area_for,
    inventory_for,
    is_course_therapist,
    my_course_or_404,
    problem_areas_for,
    require_therapist,
    termination_review_for,
)
from ipt.care.actions import problem_areas as area_actions
from ipt.care.actions.contract import TERMS as CONTRACT_TERMS
from ipt.care.actions.contract import account_name, draft_contract, sign_contract
from ipt.care.actions.formulation import acknowledge_formulation, share_formulation, write_formulation
from ipt.care.actions.termination import save_termination_review, share_termination_review
from ipt.care.forms.course import DisputeStageForm, ProblemAreaChooseForm, ProblemAreaForm
from ipt.care.forms.plan import (
    ContractForm,
    FormulationForm,
    SignatureForm,
    TerminationReviewForm,
    VersionForm,
)
from ipt.care.models import CourseFormat, MaintenanceDecision, ProblemAreaRank
from ipt.care.problem_area_templates import template_for
from ipt.lib.forms import posted

# Problem areas -----------------------------------------------------------------------------------


def _area_refused(form, error: ValidationError) -> None:
    """Put an action's refusal on the form; field errors go to fields the form shows."""
    if hasattr(error, "error_dict") and not set(error.error_dict) <= set(form.fields):
        form.add_error(None, [message for messages_ in error.message_dict.values() for message in messages_])
    else:
        form.add_error(None, error)


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def problem_areas(request, course_id):
    course = get_course_for(request.user, course_id)
    can_write = is_course_therapist(request.user, course) and course.is_active
    form = ProblemAreaChooseForm(posted(request))
    if request.method == "POST":
        require_therapist(request.user, course)
        if form.is_valid():
            try:
                area = area_actions.choose_problem_area(
                    actor=request.user, course=course, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                _area_refused(form, error)
            else:
                messages.success(
                    request,
                    f"{area.get_kind_display()} is the {area.rank} problem area. Its goals and strategies "
                    "come from the area's template: edit them to fit.",
                )
                return redirect("course_problem_area", course.pk, area.pk)
    record(
        actor=request.user,
        action="problem_area.list",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    areas = list(problem_areas_for(request.user, course))
    for area in areas:
        stages = list(area.stages.all())  # prefetched, oldest first
        area.current_stage = stages[-1] if stages else None
    removed = course.problem_areas.filter(is_removed=True).select_related("person").order_by("-chosen_at")
    context = {
        "course": course,
        "areas": areas,
        "removed": removed,
        "form": form,
        "can_choose": can_write and len(areas) < len(ProblemAreaRank.values),
    }
    return render(request, "care/problem_areas.html", context, status=400 if form.errors else 200)


def _area_initial(area) -> dict:
    fields = ("person", "date_of_death", "relationship_notes", "old_role", "new_role", "pattern_notes")
    initial = {name: getattr(area, name) for name in fields}
    return {**initial, "goals": area.goals, "strategies": area.strategies}


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def problem_area_detail(request, course_id, area_id):
    course = get_course_for(request.user, course_id)
    area = get_problem_area_for(request.user, course, area_id)
    area.course = course
    can_write = is_course_therapist(request.user, course) and course.is_active
    people = inventory_for(request.user, course)
    area_form = ProblemAreaForm(kind=area.kind, people=people, initial=_area_initial(area))
    stage_form = DisputeStageForm()
    refusals: list[str] = []
    if request.method == "POST":
        require_therapist(request.user, course)
        intent = request.POST.get("intent", "")
        try:
            if intent == "update":
                area_form = ProblemAreaForm(request.POST, kind=area.kind, people=people)
                if area_form.is_valid():
                    area_actions.update_problem_area(
                        actor=request.user, area=area, request=request, **area_form.cleaned_data
                    )
                    messages.success(request, "The problem area is saved.")
                    return redirect("course_problem_area", course.pk, area.pk)
            elif intent == "stage":
                stage_form = DisputeStageForm(request.POST)
                if stage_form.is_valid():
                    area_actions.record_dispute_stage(
                        actor=request.user, area=area, request=request, **stage_form.cleaned_data
                    )
                    messages.success(request, "The dispute's stage is recorded.")
                    return redirect("course_problem_area", course.pk, area.pk)
            elif intent == "remove":
                area_actions.remove_problem_area(actor=request.user, area=area, request=request)
                messages.success(request, f"{area.get_kind_display()} is removed; it stays in the history.")
                return redirect("course_problem_areas", course.pk)
            else:
                refusals.append("Choose one of the buttons on the page and try again.")
        except ValidationError as error:
            shown = {"update": area_form, "stage": stage_form if area.kind == "role_dispute" else None}
            form = shown.get(intent) if can_write else None
            if form is not None:
                _area_refused(form, error)
            else:
                refusals.extend(error.messages)
    record(
        actor=request.user,
        action="problem_area.read",
        target=area,
        patient=course.care_team.patient,
        request=request,
    )
    stages = list(area.stages.select_related("noted_by"))
    context = {
        "course": course,
        "area": area,
        "template": template_for(area.kind),
        "can_write": can_write,
        "area_form": area_form,
        "stage_form": stage_form,
        "stages": stages,
        "current_stage": stages[-1] if stages else None,
        "refusals": refusals,
    }
    failed = refusals or area_form.errors or stage_form.errors
    return render(request, "care/problem_area.html", context, status=400 if failed else 200)


# Formulation, treatment contract and termination review ------------------------------------------

PAGE_OUT_OF_DATE = "This page is out of date. Reload it and try again."
UNKNOWN_INTENT = "Choose one of the buttons on the page and try again."
DEFAULT_SCHEDULE = {
    CourseFormat.MAINTENANCE: "Monthly, about 50 minutes, by video.",
}
DEFAULT_GOALS = (
    "To feel better, and to work on what is happening in your relationships that is linked to "
    "how you feel. We agree the main area to work on in the first sessions."
)
DEFAULT_MISSED_SESSION_POLICY = (
    "If you cannot make a session, please tell your therapist as early as you can, at least 24 "
    "hours before if possible. A missed session still counts as one of the planned sessions. "
    "Nobody is blamed for a missed session: we talk about what got in the way at the next one. "
    "If two sessions in a row are missed, your therapist will get in touch to review the plan "
    "together."
)
# What happens after the course, for the patient, in plain words.
NEXT_STEP_FOR_PATIENT = {
    MaintenanceDecision.NONE: "No more sessions are planned. You can get in touch again if you need to.",
    MaintenanceDecision.CONTINUATION: "A few more sessions to carry on the work you have started.",
    MaintenanceDecision.MAINTENANCE: "Monthly sessions to help you stay well.",
    MaintenanceDecision.REFERRAL: "Your therapist will help you connect with another service.",
}


def _attempt(form, action, **kwargs):
    """Run an action; a refusal becomes errors on the form (or, with no form, page messages)."""
    try:
        return action(**kwargs)
    except ValidationError as error:
        if form is None:
            for message in error.messages:
                messages.error(kwargs["request"], message)
        elif hasattr(error, "error_dict"):
            for field, field_errors in error.error_dict.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message.messages)
        else:
            form.add_error(None, error.messages)
        return None


def _hidden_fields_valid(form) -> bool:
    """Forms of hidden fields only: a broken value means the page the person saw is stale."""
    if form.is_valid():
        return True
    if not form.non_field_errors():
        form.add_error(None, PAGE_OUT_OF_DATE)
    return False


def _read(request, course, action: str, target) -> None:
    record(
        actor=request.user, action=action, target=target, patient=course.care_team.patient, request=request
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def formulation(request, course_id):
    course = get_course_for(request.user, course_id)
    versions = list(formulations_for(request.user, course).select_related("written_by").order_by("-version"))
    latest = versions[0] if versions else None
    initial = {"clinical_text": latest.clinical_text, "plain_text": latest.plain_text} if latest else {}
    form = FormulationForm(initial=initial)
    share_form = VersionForm(initial={"version": latest.version} if latest else {})
    status = 200
    if request.method == "POST":
        require_therapist(request.user, course)
        intent = request.POST.get("intent")
        if intent == "save":
            form = FormulationForm(request.POST)
            if form.is_valid():
                saved = _attempt(
                    form,
                    write_formulation,
                    actor=request.user,
                    course=course,
                    request=request,
                    **form.cleaned_data,
                )
                if saved is not None:
                    messages.success(request, f"Version {saved.version} saved (not shared yet).")
                    return redirect("course_formulation", course.pk)
        elif intent == "share":
            share_form = VersionForm(request.POST)
            if _hidden_fields_valid(share_form):
                version = share_form.cleaned_data["version"]
                shared = _attempt(
                    share_form,
                    share_formulation,
                    actor=request.user,
                    course=course,
                    version=version,
                    request=request,
                )
                if shared is not None:
                    messages.success(request, f"Version {shared.version} is shared with the patient.")
                    return redirect("course_formulation", course.pk)
        else:
            messages.error(request, UNKNOWN_INTENT)
        status = 400
    _read(request, course, "formulation.read", latest or course)
    context = {
        "course": course,
        "versions": versions,
        "latest": latest,
        "patient_sees": next((version for version in versions if version.shared_at), None),
        "form": form,
        "share_form": share_form,
        "can_write": is_course_therapist(request.user, course),
    }
    return render(request, "care/formulation.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_formulation(request):
    course = my_course_or_404(request.user)
    # The patient's queryset holds shared versions only; the clinical text is never even loaded.
    shared = formulations_for(request.user, course).defer("clinical_text").order_by("-version").first()
    form = VersionForm(initial={"version": shared.version} if shared else {})
    status = 200
    if request.method == "POST":
        form = VersionForm(request.POST)
        if _hidden_fields_valid(form):
            version = form.cleaned_data["version"]
            if _attempt(
                form,
                acknowledge_formulation,
                actor=request.user,
                course=course,
                version=version,
                request=request,
            ):
                messages.success(request, "Thank you. Your therapist can see that you have read it.")
                return redirect("my_formulation")
        status = 400
    if shared is not None:
        _read(request, course, "formulation.read", shared)
    return render(
        request, "care/my_formulation.html", {"course": course, "shared": shared, "form": form}, status=status
    )


def _contract_defaults(user, course) -> dict:
    """A first draft: the course's sessions, a usual schedule, goals from the primary problem area."""
    primary = problem_areas_for(user, course).filter(rank=ProblemAreaRank.PRIMARY).first()
    goals = DEFAULT_GOALS
    if primary is not None and primary.goals.strip():
        goals = f"Our main focus: {primary.get_kind_display().lower()}.\n\n{primary.goals.strip()}"
    return {
        "sessions_planned": course.planned_sessions,
        "schedule": DEFAULT_SCHEDULE.get(course.format, "Weekly, about 50 minutes, by video."),
        "goals": goals,
        "missed_session_policy": DEFAULT_MISSED_SESSION_POLICY,
    }


def _contract_context(user, course) -> dict:
    versions = list(contracts_for(user, course).select_related("drafted_by").order_by("-version"))
    current = next((version for version in versions if version.superseded_at is None), None)
    return {"course": course, "versions": versions, "current": current}


def _signature_form(user, current, data=None) -> SignatureForm | None:
    """The form to sign the current version, if this person still has to sign it."""
    if current is None:
        return None
    party = "therapist" if user.role == Role.THERAPIST else "patient"
    if getattr(current, f"{party}_signed_at") is not None and data is None:
        return None
    form = SignatureForm(data, initial={"version": current.version})
    form.fields["full_name"].help_text = f"As on your account: {account_name(user)}."
    return form


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def contract(request, course_id):
    course = get_course_for(request.user, course_id)
    context = _contract_context(request.user, course)
    current = context["current"]
    can_write = is_course_therapist(request.user, course)
    if current is not None:
        initial = {name: getattr(current, name) for name in CONTRACT_TERMS}
    else:
        initial = _contract_defaults(request.user, course)
    form = ContractForm(initial=initial)
    sign_form = _signature_form(request.user, current) if can_write else None
    status = 200
    if request.method == "POST":
        require_therapist(request.user, course)
        intent = request.POST.get("intent")
        if intent == "draft":
            form = ContractForm(request.POST)
            if form.is_valid():
                drafted = _attempt(
                    form,
                    draft_contract,
                    actor=request.user,
                    course=course,
                    request=request,
                    **form.cleaned_data,
                )
                if drafted is not None:
                    messages.success(
                        request, f"Version {drafted.version} drafted. You and the patient both sign it."
                    )
                    return redirect("course_contract", course.pk)
        elif intent == "sign":
            sign_form = _signature_form(request.user, current, request.POST) or SignatureForm(request.POST)
            if sign_form.is_valid():
                data = sign_form.cleaned_data
                signed = _attempt(
                    sign_form,
                    sign_contract,
                    actor=request.user,
                    course=course,
                    version=data["version"],
                    full_name=data["full_name"],
                    request=request,
                )
                if signed is not None:
                    messages.success(request, f"You signed version {signed.version}.")
                    return redirect("course_contract", course.pk)
            elif "version" in sign_form.errors:
                sign_form.add_error(None, PAGE_OUT_OF_DATE)
        else:
            messages.error(request, UNKNOWN_INTENT)
        status = 400
    _read(request, course, "contract.read", current or course)
    context.update(form=form, sign_form=sign_form, can_write=can_write)
    return render(request, "care/contract.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_contract(request):
    course = my_course_or_404(request.user)
    context = _contract_context(request.user, course)
    current = context["current"]
    sign_form = _signature_form(request.user, current)
    status = 200
    if request.method == "POST":
        sign_form = _signature_form(request.user, current, request.POST) or SignatureForm(request.POST)
        if sign_form.is_valid():
            data = sign_form.cleaned_data
            signed = _attempt(
                sign_form,
                sign_contract,
                actor=request.user,
                course=course,
                version=data["version"],
                full_name=data["full_name"],
                request=request,
            )
            if signed is not None:
                messages.success(request, "Thank you, you have signed your treatment agreement.")
                return redirect("my_contract")
        elif "version" in sign_form.errors:
            sign_form.add_error(None, PAGE_OUT_OF_DATE)
        status = 400
    if current is not None:
        _read(request, course, "contract.read", current)
    context["sign_form"] = sign_form
    return render(request, "care/my_contract.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def termination(request, course_id):
    course = get_course_for(request.user, course_id)
    review = termination_review_for(request.user, course)
    initial = {}
    if review is not None:
        initial = {name: getattr(review, name) for name in TerminationReviewForm.base_fields}
    form = TerminationReviewForm(initial=initial)
    status = 200
    if request.method == "POST":
        require_therapist(request.user, course)
        intent = request.POST.get("intent")
        if intent == "save":
            form = TerminationReviewForm(request.POST)
            if form.is_valid():
                saved = _attempt(
                    form,
                    save_termination_review,
                    actor=request.user,
                    course=course,
                    request=request,
                    **form.cleaned_data,
                )
                if saved is not None:
                    shown = "The patient sees the changes." if saved.shared_at else "Not shared yet."
                    messages.success(request, f"Termination review saved. {shown}")
                    return redirect("course_termination", course.pk)
        elif intent == "share":
            if _attempt(None, share_termination_review, actor=request.user, course=course, request=request):
                messages.success(request, "The termination review is shared with the patient.")
                return redirect("course_termination", course.pk)
        else:
            messages.error(request, UNKNOWN_INTENT)
        status = 400
    _read(request, course, "termination_review.read", review or course)
    context = {
        "course": course,
        "review": review,
        "form": form,
        "can_write": is_course_therapist(request.user, course),
    }
    return render(request, "care/termination.html", context, status=status)


@require_GET
@role_required(Role.PATIENT)
def my_termination(request):
    course = my_course_or_404(request.user)
    review = termination_review_for(request.user, course)  # None until the therapist shares it
    next_step = ""
    if review is not None:
        _read(request, course, "termination_review.read", review)
        next_step = NEXT_STEP_FOR_PATIENT.get(review.maintenance_decision, "")
    context = {"course": course, "review": review, "next_step": next_step}
    return render(request, "care/my_termination.html", context)
