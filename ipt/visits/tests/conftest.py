"""A course in the middle phase for each care team, and a valid session note as a form posts it."""

import pytest
from django.urls import reverse

from ipt.care.models import (
    CourseStatus,
    InventoryPerson,
    ProblemArea,
    ProblemAreaKind,
    ProblemAreaRank,
    Relation,
    TreatmentCourse,
)
from ipt.visits import actions
from ipt.visits.models import SessionNote

PRIVATE_MARKER = "PRIVATE-MARKER-therapist process note about countertransference"
SUMMARY_MARKER = "SUMMARY-MARKER-we practised asking Sam directly"


def make_course(care_team, status=CourseStatus.MIDDLE) -> TreatmentCourse:
    course = TreatmentCourse.objects.create(care_team=care_team, status=status, planned_sessions=16)
    person = InventoryPerson.objects.create(course=course, name="Sam", relation=Relation.PARTNER)
    ProblemArea.objects.create(
        course=course, kind=ProblemAreaKind.ROLE_DISPUTE, rank=ProblemAreaRank.PRIMARY, person=person
    )
    return course


@pytest.fixture
def course(personas) -> TreatmentCourse:
    return make_course(personas.care_team)


@pytest.fixture
def other_course(personas) -> TreatmentCourse:
    return make_course(personas.other_care_team)


def note_form(encounter, **overrides) -> dict:
    """A complete note as the page's form posts it (signable), on the draft the server has now."""
    course = encounter.course
    version = SessionNote.objects.get(encounter=encounter).draft_saved_at.isoformat()
    data = {
        "draft_version": version,
        "mood_since_last": "A bit better; argued with Sam on Tuesday.",
        "mood_rating": "6",
        "interpersonal_events": "Argument with Sam about chores.",
        "people": [str(course.inventory.get().pk)],
        "problem_area_focus": str(course.problem_areas.get().pk),
        "techniques": ["communication_analysis", "role_play"],
        "initial_tasks": [],
        "problem_area_work": "Communication analysis of Tuesday's argument.",
        "homework_review": "",
        "work_at_home": "- Ask Sam for one evening a week together\n\n2. Notice one thing Sam does well\n",
        "risk_level": "none",
        "risk_review": "No thoughts of self-harm.",
        "plan": "Continue role dispute work.",
        "shared_summary": SUMMARY_MARKER,
        "private_notes": PRIVATE_MARKER,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def start_session(course, therapist):
    encounter = actions.create_encounter(actor=therapist, course=course)
    return encounter, encounter.note


def note_url(name: str, encounter) -> str:
    return reverse(name, args=[encounter.course_id, encounter.pk])
