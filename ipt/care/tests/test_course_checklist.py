"""The course checklist is ticked from the records themselves, never by hand."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from ipt.care.actions.course import start_course
from ipt.care.checklist import checklist, initial_phase, middle_phase, session_position, termination_phase
from ipt.care.models import (
    ClosenessSnapshot,
    CourseStatus,
    Formulation,
    InventoryPerson,
    ProblemArea,
    TerminationReview,
    TimelineEvent,
    TreatmentContract,
)
from ipt.visits.models import Encounter, NoteStatus, SessionNote


def ticks(items) -> dict[str, bool]:
    return {item.label: item.done for item in items}


def new_course(personas):
    return start_course(
        actor=personas.therapist,
        care_team=personas.care_team,
        format="ipt",
        planned_sessions=12,
        target_conditions=["depression"],
    )


def session(course, personas, number, phase, status="finished", **note_fields):
    encounter = Encounter.objects.create(
        course=course, number=number, phase=phase, status=status, created_by=personas.therapist
    )
    signed = note_fields.pop("signed", True)
    SessionNote.objects.create(
        encounter=encounter,
        status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
        signed_at=timezone.now() if signed else None,
        signed_by=personas.therapist if signed else None,
        **note_fields,
    )
    return encounter


def test_each_initial_phase_item_ticks_when_its_record_exists(personas):
    course = new_course(personas)
    therapist = personas.therapist

    def flip(label, make):
        assert ticks(initial_phase(course))[label] is False, label
        make()
        assert ticks(initial_phase(course))[label] is True, label

    # A draft note does not count: it may still change.
    session(
        course,
        personas,
        1,
        "initial",
        signed=False,
        initial_tasks=["symptoms_reviewed", "sick_role_explained"],
    )
    flip(
        "Symptoms reviewed",
        lambda: session(course, personas, 2, "initial", initial_tasks=["symptoms_reviewed"]),
    )
    flip(
        "Sick role explained",
        lambda: session(
            course, personas, 3, "initial", initial_tasks=["sick_role_explained", "diagnosis_named"]
        ),
    )
    person = InventoryPerson(course=course, name="Mum", relation="parent", is_removed=True)
    person.save()  # a removed person does not count
    flip(
        "Interpersonal inventory taken",
        lambda: InventoryPerson.objects.create(course=course, name="Sam", relation="partner"),
    )
    ClosenessSnapshot.objects.create(course=course, moment="end", taken_by=therapist, people="[]")
    flip(
        "Closeness circle drawn",
        lambda: ClosenessSnapshot.objects.create(
            course=course, moment="start", taken_by=therapist, people="[]"
        ),
    )
    flip(
        "Interpersonal timeline built",
        lambda: TimelineEvent.objects.create(
            course=course, occurred_on=datetime.date(2024, 3, 1), event_type="loss", created_by=therapist
        ),
    )
    ProblemArea.objects.create(course=course, kind="grief", rank="primary", is_removed=True)
    flip(
        "Problem area chosen", lambda: ProblemArea.objects.create(course=course, kind="grief", rank="primary")
    )
    draft = Formulation.objects.create(
        course=course, version=1, clinical_text="c", plain_text="p", written_by=therapist
    )
    flip(
        "Formulation shared", lambda: Formulation.objects.filter(pk=draft.pk).update(shared_at=timezone.now())
    )
    contract = TreatmentContract.objects.create(
        course=course,
        version=1,
        sessions_planned=12,
        schedule="Weekly",
        goals="g",
        missed_session_policy="m",
        drafted_by=therapist,
        therapist_signed_at=timezone.now(),
    )
    flip(
        "Treatment contract agreed",
        lambda: TreatmentContract.objects.filter(pk=contract.pk).update(patient_signed_at=timezone.now()),
    )
    assert all(ticks(initial_phase(course)).values())


def test_a_superseded_contract_does_not_count_as_agreed(personas):
    course = new_course(personas)
    now = timezone.now()
    TreatmentContract.objects.create(
        course=course,
        version=1,
        sessions_planned=12,
        schedule="Weekly",
        goals="g",
        missed_session_policy="m",
        drafted_by=personas.therapist,
        therapist_signed_at=now,
        patient_signed_at=now,
        superseded_at=now,
    )
    assert ticks(initial_phase(course))["Treatment contract agreed"] is False


def test_the_middle_phase_ticks_when_every_signed_middle_session_worked_on_the_area_and_reviewed_homework(
    personas,
):
    course = new_course(personas)
    area = ProblemArea.objects.create(course=course, kind="role_dispute", rank="primary")
    assert not any(ticks(middle_phase(course)).values())
    session(course, personas, 1, "initial")  # initial-phase sessions do not count here
    session(course, personas, 4, "middle", problem_area_focus=area, homework_review="Tried it")
    assert all(ticks(middle_phase(course)).values())
    session(course, personas, 5, "middle", problem_area_focus=None, homework_review="")
    assert not any(ticks(middle_phase(course)).values())
    session(course, personas, 6, "middle", signed=False)  # drafts are ignored either way
    assert not any(ticks(middle_phase(course)).values())


def test_the_termination_phase_ticks_from_the_review(personas):
    course = new_course(personas)
    assert not any(ticks(termination_phase(course)).values())
    review = TerminationReview.objects.create(course=course, gains="I speak up now")
    course.refresh_from_db()
    assert ticks(termination_phase(course)) == {
        "Gains reviewed": True,
        "Personal warning signs listed": False,
        "Next-step plan made": False,
    }
    review.warning_signs, review.plan, review.maintenance_decision = "Sleeping badly", "Call", "maintenance"
    review.save()
    course = type(course).objects.get(pk=course.pk)
    assert all(ticks(termination_phase(course)).values())


def test_session_position_counts_held_sessions_only(personas):
    course = new_course(personas)
    session(course, personas, 1, "initial")
    session(course, personas, 2, "initial", status="cancelled")
    session(course, personas, 3, "initial", status="missed")
    session(course, personas, 4, "initial", signed=False)
    assert session_position(course) == (2, 12)


def test_the_overview_shows_every_phase_with_the_current_one_highlighted_and_ticks_from_data(
    personas, client_for
):
    course = new_course(personas)
    type(course).objects.filter(pk=course.pk).update(status=CourseStatus.INITIAL)
    InventoryPerson.objects.create(course=course, name="Sam", relation="partner")
    session(course, personas, 1, "initial", initial_tasks=["symptoms_reviewed"])
    page = client_for("therapist").get(f"/courses/{course.pk}/").content.decode()
    assert [label for _, label, _ in checklist(course)] == [
        "Initial phase",
        "Middle phase",
        "Termination phase",
    ]
    assert page.count('aria-current="step"') == 1
    current = page.split('aria-current="step"')[1].split("</div>")[0]
    assert "Initial phase" in current and "current phase" in current
    assert '<li class="done"><span aria-hidden="true">✓</span> Symptoms reviewed' in page
    assert '<li class="done"><span aria-hidden="true">✓</span> Interpersonal inventory taken' in page
    assert '<li class="todo"><span aria-hidden="true">○</span> Sick role explained' in page
    assert "Session 1 of 12" in page


def test_the_overview_ticks_an_item_as_soon_as_its_record_exists(personas, client_for):
    course = new_course(personas)
    therapist = client_for("therapist")

    def items() -> list[tuple[str, str]]:
        html = therapist.get(reverse("course_overview", args=[course.pk])).content.decode()
        return re.findall(r'<li class="(done|todo)"><span aria-hidden="true">.</span> ([^<]+)<', html)

    before = items()
    assert before and before == items()  # the second from the rendered checklist kept
    InventoryPerson.objects.create(course=course, name="Sam", relation="friend")
    after = items()
    changed = [(was, now, label) for (was, label), (now, _) in zip(before, after, strict=True) if was != now]
    assert len(changed) == 1 and changed[0][:2] == ("todo", "done")


def test_the_checklist_decrypts_no_text_of_a_note_but_the_review_of_work_at_home(personas):
    from ipt.care.checklist import _signed_notes

    course = new_course(personas)
    session(course, personas, 1, CourseStatus.INITIAL, private_notes="PRIVATE", homework_review="Went well")
    (note,) = _signed_notes(course)
    assert note.homework_review == "Went well" and note.encounter.phase == CourseStatus.INITIAL
    assert {
        "private_notes",
        "shared_summary",
        "mood_since_last",
        "plan",
        "risk_review",
    } <= note.get_deferred_fields()
