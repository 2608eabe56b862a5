"""Sessions, the IPT session note (autosaved draft, signature, addenda) and work at home.

Staff pages: the course's therapist writes; the supervisor reads everything except the private
psychotherapy notes. Patient pages show only their own to-dos and the shared summaries of signed
notes.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import get_course_for, is_course_therapist, require_therapist
from ipt.care.models import HomeworkStatus
from ipt.lib.forms import posted
from ipt.visits import access, actions
from ipt.visits.forms import AddendumForm, CheckInForm, NoteForm, StartSessionForm
from ipt.visits.models import InitialTask, Technique

STAFF = (Role.THERAPIST, Role.SUPERVISOR)
DRAFT_HAS_NO_ADDENDA = "The note is still a draft: change the draft itself, then sign it."


def _audit_read(request, action: str, course, target=None, **detail) -> None:
    record(
        actor=request.user,
        action=action,
        target=target if target is not None else course,
        patient=course.care_team.patient,
        request=request,
        detail=detail or None,
    )


# Sessions ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def sessions(request, course_id):
    course = get_course_for(request.user, course_id)
    errors: list[str] = []
    if request.method == "POST":
        require_therapist(request.user, course)
        form = StartSessionForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_form_messages(form))
            encounter = actions.create_encounter(
                actor=request.user,
                course=course,
                expected_number=form.cleaned_data["number"],
                request=request,
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, f"Session {encounter.number} started: its note is a draft.")
            return redirect("session_note", course.pk, encounter.pk)
    encounters = list(access.encounters_for(request.user, course))
    for encounter in encounters:
        encounter.phase_label = access.phase_label(encounter.phase)
    _audit_read(request, "sessions.read", course, count=len(encounters))
    context = {
        "course": course,
        "encounters": encounters,
        "errors": errors,
        "can_write": is_course_therapist(request.user, course),
        "may_start": course.status in actions.SESSION_PHASES,
        "next_number": actions.next_session_number(course),
        "phase_now": course.get_status_display(),
    }
    return render(request, "visits/sessions.html", context, status=400 if errors else 200)


# The session note ---------------------------------------------------------------------------------


def _note_page(request, course, note, *, form=None, addendum_form=None, errors=(), status=200):
    can_write = is_course_therapist(request.user, course)
    if can_write and not note.is_signed and form is None:
        form = NoteForm(request.user, course, initial=NoteForm.initial_from(note))
    if can_write and note.is_signed and addendum_form is None:
        addendum_form = AddendumForm()
    context = {
        "course": course,
        "note": note,
        "encounter": note.encounter,
        "phase_label": access.phase_label(note.encounter.phase),
        "form": form if can_write and not note.is_signed else None,
        "addendum_form": addendum_form if can_write and note.is_signed else None,
        "errors": list(errors),
        "posted": status == 400,  # the page saves the text it was sent back as a draft
        "conflict": status == 409 and form is not None,  # ... but never over someone else's newer draft
        "may_read_private_notes": access.may_read_private_notes(request.user, course),
        "people": list(note.people.all()),
        "addenda": list(note.addenda.select_related("written_by")),
        "review_tasks": access.homework_to_review(request.user, note),
        "initial_task_labels": _labels(note.initial_tasks, InitialTask),
        "technique_labels": _labels(note.techniques, Technique),
        "draft_saved_at": note.draft_saved_at.isoformat(),
        "draft_saved_ms": int(note.draft_saved_at.timestamp() * 1000),
        "agreed_tasks": list(note.homework.all()) if note.is_signed else [],
        "required_to_sign": list(actions.REQUIRED_TO_SIGN.values()),
    }
    return render(request, "visits/note.html", context, status=status)


def _labels(values, choices) -> list[str]:
    known = dict(choices.choices)
    return [known.get(value, value) for value in values]


def _locked(request, course, note):
    return _note_page(request, course, note, errors=[actions.NoteLocked().message], status=409)


@never_cache  # a cached copy of a draft, typed into, would overwrite newer text
@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def note(request, course_id, encounter_id):
    """GET: the note. POST (the page's "Save draft" button, without JavaScript): save the draft."""
    course = get_course_for(request.user, course_id)
    session_note = access.get_note_for(request.user, course, encounter_id)
    if request.method == "GET":
        _audit_read(request, "session_note.read", course, target=session_note)
        return _note_page(request, course, session_note)
    require_therapist(request.user, course)
    if session_note.is_signed:
        return _locked(request, course, session_note)
    form = NoteForm(request.user, course, data=request.POST)
    if form.is_valid():
        try:
            actions.autosave_note(
                actor=request.user,
                note=session_note,
                data=form.cleaned_data,
                based_on=form.cleaned_data["draft_version"],
                request=request,
            )
        except actions.NoteLocked:
            return _locked(request, course, session_note)
        except actions.NoteConflict as conflict:
            return _conflict(request, course, session_note, form, conflict)
        messages.success(request, "Draft saved.")
        return redirect("session_note", course.pk, encounter_id)
    return _note_page(request, course, session_note, form=form, status=400)


def _conflict(request, course, note, form, conflict):
    """The posted text is shown again (so it can be copied), but the page does not save it itself."""
    return _note_page(request, course, note, form=form, errors=[conflict.message], status=409)


@never_cache
@require_POST
@role_required(*STAFF)
def autosave(request, course_id, encounter_id):
    """htmx and note-autosave.js post the whole form here; the answer is the small status line."""
    course = get_course_for(request.user, course_id)
    session_note = access.get_note_for(request.user, course, encounter_id)
    require_therapist(request.user, course)
    if session_note.is_signed:
        return _save_status(request, errors=[actions.NoteLocked().message], status=409)
    form = NoteForm(request.user, course, data=request.POST)
    if not form.is_valid():
        return _save_status(request, errors=_form_messages(form), status=400)
    try:
        session_note = actions.autosave_note(
            actor=request.user,
            note=session_note,
            data=form.cleaned_data,
            based_on=form.cleaned_data["draft_version"],
            request=request,
        )
    except (actions.NoteLocked, actions.NoteConflict) as refused:
        return _save_status(request, errors=[refused.message], status=409)
    response = _save_status(request, saved_at=session_note.draft_saved_at)
    # note-autosave.js reads the new draft version here to know which local copy is stale.
    response["X-Draft-Saved-At"] = session_note.draft_saved_at.isoformat()
    response["X-Draft-Saved-Ms"] = str(int(session_note.draft_saved_at.timestamp() * 1000))
    return response


def _form_messages(form) -> list[str]:
    found = []
    for name, field_errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        found += [f"{label}: {message}" if label else message for message in field_errors]
    return found


def _save_status(request, *, saved_at=None, errors=(), status=200):
    context = {"saved_at": saved_at, "errors": list(errors)}
    return render(request, "visits/_save_status.html", context, status=status)


@require_POST
@role_required(*STAFF)
def sign(request, course_id, encounter_id):
    """Sign the note with the text on the page (the form posts here with its "Sign" button)."""
    course = get_course_for(request.user, course_id)
    session_note = access.get_note_for(request.user, course, encounter_id)
    require_therapist(request.user, course)
    if session_note.is_signed:
        return _locked(request, course, session_note)
    form = NoteForm(request.user, course, data=request.POST)
    if form.is_valid():
        try:
            signed = actions.sign_note(
                actor=request.user,
                note=session_note,
                data=form.cleaned_data,
                based_on=form.cleaned_data["draft_version"],
                request=request,
            )
        except actions.NoteLocked:
            return _locked(request, course, session_note)
        except actions.NoteConflict as conflict:
            return _conflict(request, course, session_note, form, conflict)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            tasks = signed.homework.count()
            to_dos = f" {tasks} to-do{'' if tasks == 1 else 's'} added for the patient." if tasks else ""
            messages.success(request, f"Note signed.{to_dos}")
            return redirect("session_note", course.pk, encounter_id)
    return _note_page(request, course, session_note, form=form, status=400)


@require_POST
@role_required(*STAFF)
def addendum(request, course_id, encounter_id):
    course = get_course_for(request.user, course_id)
    session_note = access.get_note_for(request.user, course, encounter_id)
    require_therapist(request.user, course)
    if not session_note.is_signed:
        return _note_page(request, course, session_note, errors=[DRAFT_HAS_NO_ADDENDA], status=409)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            actions.add_addendum(
                actor=request.user, note=session_note, text=form.cleaned_data["text"], request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Addendum added.")
            return redirect("session_note", course.pk, encounter_id)
    return _note_page(request, course, session_note, addendum_form=form, status=400)


# Work at home -------------------------------------------------------------------------------------


@require_GET
@role_required(*STAFF)
def homework(request, course_id):
    course = get_course_for(request.user, course_id)
    tasks = list(access.homework_with_sessions_for(request.user, course))
    _audit_read(request, "homework.read", course, count=len(tasks))
    context = {
        "course": course,
        "open_tasks": [task for task in tasks if task.status == HomeworkStatus.OPEN],
        "checked_in": [task for task in tasks if task.status != HomeworkStatus.OPEN],
    }
    return render(request, "visits/homework.html", context)


@require_GET
@role_required(Role.PATIENT)
def my_todos(request):
    course = access.my_course_or_404(request.user)
    tasks = list(access.homework_with_sessions_for(request.user, course))
    _audit_read(request, "my_todos.read", course, count=len(tasks))
    open_tasks = [task for task in tasks if task.status == HomeworkStatus.OPEN]
    context = {
        "course": course,
        "open_tasks": [(task, _check_in_form(task)) for task in open_tasks],
        "past_tasks": [task for task in tasks if task.status != HomeworkStatus.OPEN],
    }
    return render(request, "visits/my_todos.html", context)


def _check_in_form(task, data=None) -> CheckInForm:
    initial = {"status": task.status, "check_in": task.check_in} if task.status != HomeworkStatus.OPEN else {}
    return CheckInForm(data, initial=initial, auto_id=f"id_{task.pk}_%s")


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_todo(request, task_id):
    """One to-do: GET shows it with the check-in form; POST is the check-in."""
    course, task = access.get_my_homework(request.user, task_id)
    form = _check_in_form(task, posted(request))
    if request.method == "POST" and form.is_valid():
        actions.check_in_homework(
            actor=request.user,
            task=task,
            status=form.cleaned_data["status"],
            check_in=form.cleaned_data["check_in"],
            request=request,
        )
        messages.success(request, "Thank you. Your therapist will see this before your next session.")
        return redirect("my_todos")
    if request.method == "GET":
        _audit_read(request, "my_todo.read", course, target=task)
    status = 400 if form.errors else 200
    return render(
        request, "visits/my_todo.html", {"course": course, "task": task, "form": form}, status=status
    )


@require_GET
@role_required(Role.PATIENT)
def my_sessions(request):
    course = access.my_course_or_404(request.user)
    summaries = access.shared_summaries_for(request.user, course)
    _audit_read(request, "my_sessions.read", course, count=len(summaries))
    return render(request, "visits/my_sessions.html", {"course": course, "summaries": summaries})
