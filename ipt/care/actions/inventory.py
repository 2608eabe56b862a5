"""The interpersonal inventory, the closeness circle's snapshots and the interpersonal timeline.

The patient and the therapist both add, edit and remove people; each change keeps an
InventoryChange (who, when, which fields, the values before and after, encrypted) so both can
see who changed what. Removing keeps the person (``is_removed``) for the history.
Audit details name fields and kinds only, never the clinical text.
"""

import json
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_therapist, require_therapist_or_patient
from ipt.care.circle import snapshot_payload
from ipt.care.models import (
    ClosenessSnapshot,
    ContactFrequency,
    ExpectationsMet,
    InventoryChange,
    InventoryPerson,
    LifeEventType,
    Relation,
    TimelineEvent,
    TreatmentCourse,
)

PERSON_FIELDS = (
    "name",
    "relation",
    "contact_frequency",
    "closeness_ring",
    "satisfying",
    "unsatisfying",
    "expectations",
    "expectations_met",
    "changes_wanted",
    "is_deceased",
)
TEXT_FIELDS = ("satisfying", "unsatisfying", "expectations", "changes_wanted")
NAME_MAX = 100
TEXT_MAX = 4_000
MAX_PEOPLE = 60  # an inventory is the people who matter; far fewer in practice
MAX_EVENTS = 200
EARLIEST_EVENT = date(1900, 1, 1)
STALE = "stale"  # the code of the refusal when someone else saved the person first


def _require_open(course: TreatmentCourse) -> None:
    if not course.is_active:
        raise ValidationError("This course has ended, so its records can no longer be changed.")


# Inventory -------------------------------------------------------------------------------------


def clean_person_data(data: dict) -> dict:
    """Every inventory field, checked; unknown keys are refused, missing ones get their default."""
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown inventory fields: {', '.join(sorted(unknown))}.")
    errors: dict[str, str] = {}
    name = " ".join(str(data.get("name", "")).split())
    if not name:
        errors["name"] = "Give the person a name (a first name or a nickname is enough)."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name under {NAME_MAX} characters."
    choices = {
        "relation": (Relation.values, False),
        "contact_frequency": (ContactFrequency.values, True),
        "expectations_met": (ExpectationsMet.values, True),
    }
    cleaned: dict = {"name": name}
    for field, (allowed, blank_ok) in choices.items():
        value = str(data.get(field, "") or "")
        if value not in allowed and not (blank_ok and value == ""):
            errors[field] = "Choose one of the options in the list."
        cleaned[field] = value
    ring = data.get("closeness_ring", 2)
    if isinstance(ring, bool) or not isinstance(ring, int) or ring not in (1, 2, 3):
        errors["closeness_ring"] = "Choose ring 1 (closest), 2 or 3 (furthest)."
    cleaned["closeness_ring"] = ring
    for field in TEXT_FIELDS:
        text = str(data.get(field, "") or "").strip()
        if len(text) > TEXT_MAX:
            errors[field] = f"Keep this under {TEXT_MAX:,} characters."
        cleaned[field] = text
    cleaned["is_deceased"] = bool(data.get("is_deceased", False))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _values(person: InventoryPerson, fields) -> dict:
    return {field: getattr(person, field) for field in fields}


def _log_change(*, person, actor, kind, fields, before, after, now) -> InventoryChange:
    return InventoryChange.objects.create(
        person=person,
        changed_by=actor,
        changed_at=now,
        kind=kind,
        fields=list(fields),
        before=json.dumps(before, ensure_ascii=False) if before else "",
        after=json.dumps(after, ensure_ascii=False) if after else "",
    )


def add_person(*, actor: User, course: TreatmentCourse, data: dict, request=None) -> InventoryPerson:
    require_therapist_or_patient(actor, course)
    _require_open(course)
    cleaned = clean_person_data(data)
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        if InventoryPerson.objects.filter(course=course, is_removed=False).count() >= MAX_PEOPLE:
            raise ValidationError(f"The inventory holds at most {MAX_PEOPLE} people.")
        now = timezone.now()
        person = InventoryPerson.objects.create(course=course, created_at=now, updated_at=now, **cleaned)
        after = {field: value for field, value in cleaned.items() if value not in ("", False)}
        _log_change(person=person, actor=actor, kind="add", fields=after, before={}, after=after, now=now)
        record(
            actor=actor,
            action="inventory.add",
            target=person,
            patient=course.care_team.patient,
            request=request,
        )
    return person


def _is_stale(person: InventoryPerson, seen_version: str | None) -> bool:
    if not seen_version:
        return False
    seen = parse_datetime(seen_version)
    return seen is None or seen != person.updated_at


def update_person(
    *,
    actor: User,
    course: TreatmentCourse,
    person: InventoryPerson,
    data: dict,
    seen_version: str | None = None,
    request=None,
) -> InventoryChange | None:
    """Save what changed; None when nothing did. ``seen_version`` guards against lost updates."""
    require_therapist_or_patient(actor, course)
    _require_open(course)
    cleaned = clean_person_data(data)
    with transaction.atomic():
        person = InventoryPerson.objects.select_for_update().get(pk=person.pk, course=course)
        if person.is_removed:
            raise ValidationError("This person was removed from the inventory.")
        if _is_stale(person, seen_version):
            raise ValidationError(
                "Someone else changed this person while you were editing. "
                "Here is the latest version: check it and make your change again.",
                code=STALE,
            )
        changed = [field for field in PERSON_FIELDS if getattr(person, field) != cleaned[field]]
        if not changed:
            return None
        before = _values(person, changed)
        for field in changed:
            setattr(person, field, cleaned[field])
        now = timezone.now()
        person.updated_at = now
        person.save(update_fields=[*changed, "updated_at"])
        change = _log_change(
            person=person,
            actor=actor,
            kind="edit",
            fields=changed,
            before=before,
            after=_values(person, changed),
            now=now,
        )
        record(
            actor=actor,
            action="inventory.edit",
            target=person,
            patient=course.care_team.patient,
            request=request,
            detail={"fields": changed},
        )
    return change


def remove_person(
    *, actor: User, course: TreatmentCourse, person: InventoryPerson, request=None
) -> InventoryChange:
    require_therapist_or_patient(actor, course)
    _require_open(course)
    with transaction.atomic():
        person = InventoryPerson.objects.select_for_update().get(pk=person.pk, course=course)
        if person.is_removed:
            raise ValidationError("This person was already removed from the inventory.")
        now = timezone.now()
        person.is_removed = True
        person.updated_at = now
        person.save(update_fields=["is_removed", "updated_at"])
        change = _log_change(
            person=person,
            actor=actor,
            kind="remove",
            fields=["is_removed"],
            before={"is_removed": False},
            after={"is_removed": True},
            now=now,
        )
        record(
            actor=actor,
            action="inventory.remove",
            target=person,
            patient=course.care_team.patient,
            request=request,
        )
    return change


# Closeness circle ------------------------------------------------------------------------------


def save_closeness_snapshot(
    *, actor: User, course: TreatmentCourse, moment: str, request=None
) -> ClosenessSnapshot:
    """Keep who is in which ring now, as the start (or end) snapshot; saving again replaces it."""
    require_therapist(actor, course)
    _require_open(course)
    if moment not in ClosenessSnapshot.Moment.values:
        raise ValidationError({"moment": "A snapshot is taken at the start or at the end."})
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        people = InventoryPerson.objects.filter(course=course, is_removed=False)
        if not people.exists():
            raise ValidationError("Add people to the inventory before keeping a snapshot of the circle.")
        snapshot, created = ClosenessSnapshot.objects.update_or_create(
            course=course,
            moment=moment,
            defaults={"taken_at": timezone.now(), "taken_by": actor, "people": snapshot_payload(people)},
        )
        record(
            actor=actor,
            action="circle.snapshot",
            target=course,
            patient=course.care_team.patient,
            request=request,
            detail={"moment": moment, "replaced": not created, "people": people.count()},
        )
    return snapshot


# Timeline --------------------------------------------------------------------------------------


def add_timeline_event(
    *,
    actor: User,
    course: TreatmentCourse,
    occurred_on: date,
    event_type: str,
    person: InventoryPerson | None = None,
    description: str = "",
    mood: int | None = None,
    symptom_change: str = "",
    request=None,
) -> TimelineEvent:
    require_therapist_or_patient(actor, course)
    _require_open(course)
    errors: dict[str, str] = {}
    if not isinstance(occurred_on, date) or not (
        EARLIEST_EVENT <= occurred_on <= date.today() + timedelta(days=1)
    ):
        errors["occurred_on"] = "Give a date between 1900 and today."
    if event_type not in LifeEventType.values:
        errors["event_type"] = "Choose one of the options in the list."
    if person is not None and (person.course_id != course.pk or person.is_removed):
        errors["person"] = "Choose someone from this inventory (or nobody)."
    if mood is not None and (isinstance(mood, bool) or not isinstance(mood, int) or not 0 <= mood <= 10):
        errors["mood"] = "Mood is a whole number from 0 (worst) to 10 (best)."
    if len(description) > TEXT_MAX or len(symptom_change) > TEXT_MAX:
        errors["description"] = f"Keep each text under {TEXT_MAX:,} characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        if TimelineEvent.objects.filter(course=course).count() >= MAX_EVENTS:
            raise ValidationError(f"The timeline holds at most {MAX_EVENTS} events.")
        event = TimelineEvent.objects.create(
            course=course,
            occurred_on=occurred_on,
            event_type=event_type,
            person=person,
            description=description.strip(),
            mood=mood,
            symptom_change=symptom_change.strip(),
            created_by=actor,
        )
        record(
            actor=actor,
            action="timeline.add",
            target=event,
            patient=course.care_team.patient,
            request=request,
            detail={"event_type": event_type},
        )
    return event


def delete_timeline_event(
    *, actor: User, course: TreatmentCourse, event: TimelineEvent, request=None
) -> None:
    require_therapist(actor, course)
    _require_open(course)
    if event.course_id != course.pk:
        raise ValidationError("That event is not on this timeline.")
    with transaction.atomic():
        record(
            actor=actor,
            action="timeline.delete",
            target=event,
            patient=course.care_team.patient,
            request=request,
            detail={"event_type": event.event_type},
        )
        event.delete()
