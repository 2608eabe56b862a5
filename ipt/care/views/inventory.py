"""The interpersonal inventory, the closeness circle and the interpersonal timeline.

Staff pages (``courses/<id>/...``): the therapist writes, the supervisor reads. The patient's pages
(``my/...``) work on their current course: they add, edit and remove people and add life events
from their own account, in plain words. Both see who changed what in the inventory.

The two SVG endpoints serve the patient of the course as well (pages show the timeline chart as an
image from ``course_timeline_svg``).
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role, User
from ipt.audit.actions import record
from ipt.care import circle as closeness
from ipt.care import timeline_chart
from ipt.care.access import (
    get_course_for,
    get_inventory_person_for,
    inventory_for,
    is_course_patient,
    is_course_therapist,
    my_course_or_404,
    require_therapist,
    require_therapist_or_patient,
    timeline_for,
)
from ipt.care.actions import inventory as actions
from ipt.care.forms.inventory import (
    PLAIN_RING_CHOICES,
    RING_CHOICES,
    DeleteEventForm,
    InventoryPersonForm,
    PatientInventoryPersonForm,
    PatientTimelineEventForm,
    SnapshotForm,
    TimelineEventForm,
)
from ipt.care.models import (
    ClosenessSnapshot,
    ContactFrequency,
    ExpectationsMet,
    InventoryChange,
    InventoryPerson,
    Relation,
    TreatmentCourse,
)
from ipt.lib.charts import svg_image_response
from ipt.lib.forms import posted

HISTORY_LIMIT = 100


def _read(request, course: TreatmentCourse, action: str, detail: dict | None = None) -> None:
    record(
        actor=request.user,
        action=action,
        target=course,
        patient=course.care_team.patient,
        request=request,
        detail=detail,
    )


def _refuse(form, error: ValidationError) -> list[str]:
    """Put an action's refusal on the fields it names; the rest is said above the form."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    general = []
    for field, field_messages in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, field_messages)
        else:
            general.extend(field_messages)
    return general


def _can_write(user: User, course: TreatmentCourse) -> bool:
    return course.is_active and (is_course_therapist(user, course) or is_course_patient(user, course))


# Inventory history -----------------------------------------------------------------------------

FIELD_LABELS = {
    "name": "name",
    "relation": "relation",
    "contact_frequency": "contact",
    "closeness_ring": "ring",
    "satisfying": "what is satisfying",
    "unsatisfying": "what is unsatisfying",
    "expectations": "expectations",
    "expectations_met": "whether expectations are met",
    "changes_wanted": "changes wanted",
    "is_deceased": "has died",
    "is_removed": "removed",
}
CHOICE_LABELS = {
    "relation": dict(Relation.choices),
    "contact_frequency": dict(ContactFrequency.choices),
    "expectations_met": dict(ExpectationsMet.choices),
}
SHORT_FIELDS = {"name", "relation", "contact_frequency", "closeness_ring", "expectations_met", "is_deceased"}


def _display(field: str, value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in CHOICE_LABELS:
        return str(CHOICE_LABELS[field].get(value, value))
    return str(value)


def _loads(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _who(actor: User, viewer: User, course: TreatmentCourse) -> str:
    if actor.pk == viewer.pk:
        return "You"
    if viewer.role == Role.PATIENT and actor.pk == course.care_team.therapist_id:
        return f"Your therapist ({actor.display_name})"
    return actor.display_name


def describe_change(change: InventoryChange, viewer: User, course: TreatmentCourse) -> dict:
    """A sentence ("Paula changed Sam's ring from 2 to 1") and the full before/after rows."""
    who = _who(change.changed_by, viewer, course)
    name = change.person.name
    before, after = _loads(change.before), _loads(change.after)
    rows = [
        {
            "label": FIELD_LABELS.get(field, field),
            "before": _display(field, before.get(field)),
            "after": _display(field, after.get(field)),
        }
        for field in change.fields
    ]
    if change.kind == "add":
        ring = after.get("closeness_ring")
        sentence = f"{who} added {name}" + (f" to ring {ring}" if ring else "")
    elif change.kind == "remove":
        sentence = f"{who} removed {name}"
    else:
        parts = []
        for field in change.fields:
            label = FIELD_LABELS.get(field, field)
            if field in SHORT_FIELDS:
                parts.append(
                    f"{label} from {_display(field, before.get(field))} to {_display(field, after.get(field))}"
                )
            else:
                parts.append(label)
        sentence = f"{who} changed {name}'s {', '.join(parts)}"
    return {
        "sentence": sentence,
        "at": change.changed_at,
        "kind": change.kind,
        "rows": rows,
        "has_text": any(field not in SHORT_FIELDS for field in change.fields),
        "person": change.person,
    }


def _history(course: TreatmentCourse, viewer: User, person: InventoryPerson | None = None) -> list[dict]:
    # ``course`` comes from get_course_for / current_course_of_patient: it is the viewer's.
    changes = InventoryChange.objects.filter(person__course=course).select_related("person", "changed_by")
    if person is not None:
        changes = changes.filter(person=person)
    return [describe_change(change, viewer, course) for change in changes[:HISTORY_LIMIT]]


# Inventory pages -------------------------------------------------------------------------------


def _inventory_page(request, course: TreatmentCourse, *, patient_view: bool):
    form_class = PatientInventoryPersonForm if patient_view else InventoryPersonForm
    form = form_class(posted(request), initial={"closeness_ring": 2})
    refusals: list[str] = []
    if request.method == "POST":
        require_therapist_or_patient(request.user, course)
        if form.is_valid():
            try:
                actions.add_person(
                    actor=request.user, course=course, data=form.person_data(), request=request
                )
            except ValidationError as error:
                refusals.extend(_refuse(form, error))
            else:
                # No names in messages: the default message storage is a (signed, readable) cookie.
                messages.success(request, "Added to the list.")
                return redirect(
                    "my_inventory" if patient_view else "course_inventory", *_args(course, patient_view)
                )
    _read(request, course, "inventory.read")
    people = list(inventory_for(request.user, course))
    ring_labels = dict(PLAIN_RING_CHOICES if patient_view else RING_CHOICES)
    for person in people:
        person.ring_label = ring_labels.get(person.closeness_ring, "")
    context = {
        "course": course,
        "people": people,
        "form": form,
        "refusals": refusals,
        "can_write": _can_write(request.user, course),
        "history": _history(course, request.user),
        "history_limit": HISTORY_LIMIT,
    }
    template = "care/my_inventory.html" if patient_view else "care/inventory.html"
    return render(request, template, context, status=400 if form.errors or refusals else 200)


def _args(course: TreatmentCourse, patient_view: bool) -> tuple:
    return () if patient_view else (course.pk,)


def _person_page(request, course: TreatmentCourse, person_id, *, patient_view: bool):
    person = get_inventory_person_for(request.user, course, person_id)
    form_class = PatientInventoryPersonForm if patient_view else InventoryPersonForm
    form = form_class(initial=form_class.initial_for(person))
    refusals: list[str] = []
    if request.method == "POST":
        require_therapist_or_patient(request.user, course)
        intent = request.POST.get("intent", "")
        if intent == "remove":
            try:
                actions.remove_person(actor=request.user, course=course, person=person, request=request)
            except ValidationError as error:
                refusals.extend(error.messages)
            else:
                messages.success(request, "Removed from the list. The history keeps what was noted.")
                return redirect(
                    "my_inventory" if patient_view else "course_inventory", *_args(course, patient_view)
                )
        elif intent == "edit":
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    change = actions.update_person(
                        actor=request.user,
                        course=course,
                        person=person,
                        data=form.person_data(),
                        seen_version=form.cleaned_data["seen_version"],
                        request=request,
                    )
                except ValidationError as error:
                    if getattr(error, "code", None) == actions.STALE:
                        # Show the latest version, so the change is made again on top of it.
                        person.refresh_from_db()
                        form = form_class(initial=form_class.initial_for(person))
                        refusals.extend(error.messages)
                    else:
                        refusals.extend(_refuse(form, error))
                else:
                    messages.success(request, "Saved." if change else "Nothing was changed.")
                    if patient_view:
                        return redirect("my_inventory_person", person.pk)
                    return redirect("course_inventory_person", course.pk, person.pk)
        else:
            refusals.append("Choose one of the buttons on the page and try again.")
    _read(request, course, "inventory.read", {"person": str(person.pk)})
    context = {
        "course": course,
        "person": person,
        "form": form,
        "refusals": refusals,
        "can_write": _can_write(request.user, course),
        "history": _history(course, request.user, person),
    }
    template = "care/my_inventory_person.html" if patient_view else "care/inventory_person.html"
    status = 400 if refusals or (form.is_bound and form.errors) else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def inventory(request, course_id):
    course = get_course_for(request.user, course_id)
    return _inventory_page(request, course, patient_view=False)


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def inventory_person(request, course_id, person_id):
    course = get_course_for(request.user, course_id)
    return _person_page(request, course, person_id, patient_view=False)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_inventory(request):
    return _inventory_page(request, my_course_or_404(request.user), patient_view=True)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_inventory_person(request, person_id):
    return _person_page(request, my_course_or_404(request.user), person_id, patient_view=True)


# Closeness circle ------------------------------------------------------------------------------


def _drawing(people: list[closeness.CirclePerson], *, title: str, svg_id: str) -> dict:
    return {
        "svg": mark_safe(closeness.render_svg(people, title=title, svg_id=svg_id)),  # noqa: S308 (escaped)
        "rings": closeness.by_ring(people),
        "count": len(people),
        "has_deceased": any(person.is_deceased for person in people),
    }


def _circle_context(request, course: TreatmentCourse, *, patient_view: bool) -> dict:
    people = closeness.people_from_inventory(inventory_for(request.user, course))
    snapshots = {
        snapshot.moment: snapshot
        for snapshot in ClosenessSnapshot.objects.filter(course=course).select_related("taken_by")
    }
    drawings = {}
    for moment, label in ClosenessSnapshot.Moment.choices:
        snapshot = snapshots.get(moment)
        if snapshot is not None:
            drawing = _drawing(
                closeness.people_from_snapshot(snapshot.people),
                title=f"Closeness circle: {label.lower()}",
                svg_id=f"circle-{moment}",
            )
            drawings[moment] = {**drawing, "snapshot": snapshot, "label": label}
    title = "Your closeness circle now" if patient_view else "Closeness circle now"
    return {
        "course": course,
        "current": _drawing(people, title=title, svg_id="circle-now"),
        "start": drawings.get("start"),
        "end": drawings.get("end"),
        "snapshot_list": [drawings[moment] for moment in ("start", "end") if moment in drawings],
        "can_snapshot": is_course_therapist(request.user, course) and course.is_active,
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def circle(request, course_id):
    course = get_course_for(request.user, course_id)
    refusals: list[str] = []
    if request.method == "POST":
        require_therapist(request.user, course)
        form = SnapshotForm(request.POST)
        if form.is_valid():
            moment = form.cleaned_data["moment"]
            try:
                snapshot = actions.save_closeness_snapshot(
                    actor=request.user, course=course, moment=moment, request=request
                )
            except ValidationError as error:
                refusals.extend(error.messages)
            else:
                messages.success(
                    request, f"The circle is kept as the {snapshot.get_moment_display().lower()} snapshot."
                )
                return redirect("course_circle", course.pk)
        else:
            refusals.extend(message for errors in form.errors.values() for message in errors)
    _read(request, course, "circle.read")
    context = {**_circle_context(request, course, patient_view=False), "refusals": refusals}
    return render(request, "care/circle.html", context, status=400 if refusals else 200)


@require_GET
@role_required(Role.PATIENT)
def my_circle(request):
    course = my_course_or_404(request.user)
    _read(request, course, "circle.read")
    return render(request, "care/my_circle.html", _circle_context(request, course, patient_view=True))


@never_cache
@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR, Role.PATIENT)
def circle_svg(request, course_id):
    """The circle as an SVG file: now, or ``?moment=start|end`` for a snapshot."""
    course = get_course_for(request.user, course_id)
    moment = request.GET.get("moment", "")
    if moment and moment not in ClosenessSnapshot.Moment.values:
        return HttpResponse("moment is start or end.", status=400, content_type="text/plain; charset=utf-8")
    if moment:
        snapshot = ClosenessSnapshot.objects.filter(course=course, moment=moment).first()
        if snapshot is None:
            raise Http404("No such snapshot.")
        people = closeness.people_from_snapshot(snapshot.people)
        title = f"Closeness circle: {snapshot.get_moment_display().lower()}"
    else:
        people = closeness.people_from_inventory(inventory_for(request.user, course))
        title = "Closeness circle"
    _read(request, course, "circle.read", {"format": "svg", "moment": moment or "now"})
    svg = closeness.render_svg(people, title=title, svg_id="circle")
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="closeness-circle.svg"'
    return response


# Timeline --------------------------------------------------------------------------------------


def _numbered_events(request, course: TreatmentCourse) -> list:
    events = list(timeline_for(request.user, course))
    for number, event in enumerate(events, start=1):
        event.number = number
    return events


def _timeline_page(request, course: TreatmentCourse, *, patient_view: bool):
    people = inventory_for(request.user, course)
    form_class = PatientTimelineEventForm if patient_view else TimelineEventForm
    form = form_class(people=people)
    refusals: list[str] = []
    if request.method == "POST":
        if patient_view:
            require_therapist_or_patient(request.user, course)
        else:
            require_therapist(request.user, course)
        intent = request.POST.get("intent", "")
        if intent == "add":
            form = form_class(request.POST, people=people)
            if form.is_valid():
                try:
                    actions.add_timeline_event(
                        actor=request.user, course=course, request=request, **form.event_data()
                    )
                except ValidationError as error:
                    refusals.extend(_refuse(form, error))
                else:
                    messages.success(request, "The event is on the timeline.")
                    return redirect(
                        "my_timeline" if patient_view else "course_timeline", *_args(course, patient_view)
                    )
        elif intent == "delete" and not patient_view:
            delete_form = DeleteEventForm(request.POST)
            if delete_form.is_valid():
                event = (
                    timeline_for(request.user, course).filter(pk=delete_form.cleaned_data["event"]).first()
                )
                if event is None:
                    raise Http404("No such event.")
                try:
                    actions.delete_timeline_event(
                        actor=request.user, course=course, event=event, request=request
                    )
                except ValidationError as error:
                    refusals.extend(error.messages)
                else:
                    messages.success(request, "The event is deleted.")
                    return redirect("course_timeline", course.pk)
            else:
                refusals.append("That event is not on this timeline.")
        else:
            refusals.append("Choose one of the buttons on the page and try again.")
    _read(request, course, "timeline.read")
    events = _numbered_events(request, course)
    context = {
        "course": course,
        "events": events,
        "form": form,
        "refusals": refusals,
        "can_add": _can_write(request.user, course),
        "can_delete": is_course_therapist(request.user, course) and course.is_active,
        "has_people": people.exists(),
        "has_mood": any(event.mood is not None for event in events),
    }
    template = "care/my_timeline.html" if patient_view else "care/timeline.html"
    return render(request, template, context, status=400 if form.errors or refusals else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def timeline(request, course_id):
    return _timeline_page(request, get_course_for(request.user, course_id), patient_view=False)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_timeline(request):
    return _timeline_page(request, my_course_or_404(request.user), patient_view=True)


@never_cache
@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR, Role.PATIENT)
def timeline_svg(request, course_id):
    """The chart as an image. pygal's SVG carries its own <style>, so this response has its own
    CSP: nothing may load, inline styles may apply (the CSP middleware keeps a header a view set)."""
    course = get_course_for(request.user, course_id)
    events = _numbered_events(request, course)
    _read(request, course, "timeline.read", {"format": "svg"})
    chart_events = [
        timeline_chart.ChartEvent(number=event.number, occurred_on=event.occurred_on, mood=event.mood)
        for event in events
    ]
    return svg_image_response(timeline_chart.render(chart_events), "timeline.svg")
