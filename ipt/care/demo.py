"""Demo IPT courses for `seed_demo` (demo data only): one in the middle phase, one just begun."""

import json
from datetime import date, timedelta

from django.utils import timezone

from ipt.accounts.models import User
from ipt.care.models import (
    ClosenessSnapshot,
    CourseStatus,
    DisputeStageChange,
    Formulation,
    HomeworkTask,
    InventoryPerson,
    ProblemArea,
    ProblemAreaKind,
    StatusChange,
    TimelineEvent,
    TreatmentContract,
    TreatmentCourse,
)
from ipt.care.problem_area_templates import TEMPLATES
from ipt.visits.models import Encounter, NoteStatus, SessionNote

PAT_PEOPLE = [
    (
        "Sam",
        "partner",
        "daily",
        1,
        "Laughs together, shared plans",
        "Arguments about moving cities",
        "That Sam asks before deciding",
        "no",
        "Talk about the move without shouting",
    ),
    ("Rosa", "parent", "weekly", 1, "Always there on the phone", "Worries a lot", "Support", "yes", ""),
    (
        "Jo",
        "friend",
        "monthly",
        2,
        "Fun, easy",
        "Seen less since the arguments",
        "Meet more often",
        "partly",
        "Call Jo this month",
    ),
    ("Lee", "work", "daily", 3, "Fair boss", "Long hours", "Flexible hours", "partly", ""),
]


def _people(course: TreatmentCourse, rows) -> dict[str, InventoryPerson]:
    people = {}
    for name, relation, frequency, ring, good, bad, expectations, met, change in rows:
        people[name] = InventoryPerson.objects.create(
            course=course,
            name=name,
            relation=relation,
            contact_frequency=frequency,
            closeness_ring=ring,
            satisfying=good,
            unsatisfying=bad,
            expectations=expectations,
            expectations_met=met,
            changes_wanted=change,
        )
    return people


def _note(course, number, phase, therapist, when, **fields) -> SessionNote:
    encounter = Encounter.objects.create(
        course=course, number=number, phase=phase, starts_at=when, created_by=therapist
    )
    return SessionNote.objects.create(
        encounter=encounter,
        status=NoteStatus.SIGNED,
        signed_at=when,
        signed_by=therapist,
        draft_saved_at=when,
        **fields,
    )


def _middle_phase_course(patient: User) -> None:
    team = patient.care_team
    therapist = team.therapist
    start = timezone.now() - timedelta(weeks=5)
    course = TreatmentCourse.objects.create(
        care_team=team,
        format="ipt",
        planned_sessions=16,
        status=CourseStatus.MIDDLE,
        target_conditions=["depression"],
        icd10_codes="F32.1",
        medication="Sertraline 50 mg",
        prescriber_contact="Dr Ana Costa, GP, 020 7946 0000",
        created_at=start,
        status_changed_at=timezone.now() - timedelta(weeks=2),
    )
    for old, new, weeks in (("intake", "initial", 5), ("initial", "middle", 2)):
        StatusChange.objects.create(
            course=course,
            from_status=old,
            to_status=new,
            changed_by=therapist,
            changed_at=timezone.now() - timedelta(weeks=weeks),
        )
    people = _people(course, PAT_PEOPLE)
    ClosenessSnapshot.objects.create(
        course=course,
        moment="start",
        taken_by=therapist,
        people=json.dumps(
            [{"name": p.name, "relation": p.relation, "ring": p.closeness_ring} for p in people.values()]
        ),
    )
    for days_ago, kind, person, text, mood in (
        (240, "new_role", "Lee", "Promotion at work, longer hours", 7),
        (150, "conflict", "Sam", "Sam proposes moving to another city", 5),
        (120, "conflict", "Sam", "Arguments every week about the move", 3),
        (60, "health", None, "Sleeping badly, stopped seeing friends", 2),
    ):
        TimelineEvent.objects.create(
            course=course,
            occurred_on=date.today() - timedelta(days=days_ago),
            event_type=kind,
            person=people.get(person),
            description=text,
            mood=mood,
            created_by=therapist,
        )
    template = TEMPLATES[ProblemAreaKind.ROLE_DISPUTE]
    dispute = ProblemArea.objects.create(
        course=course,
        kind="role_dispute",
        rank="primary",
        person=people["Sam"],
        relationship_notes="Non-reciprocal expectations about the move",
        goals=template.goals,
        strategies=template.strategies,
    )
    DisputeStageChange.objects.create(
        problem_area=dispute,
        stage="renegotiation",
        noted_by=therapist,
        note="Both still talking, often heated",
    )
    Formulation.objects.create(
        course=course,
        version=1,
        written_by=therapist,
        shared_at=start + timedelta(weeks=2),
        acknowledged_at=start + timedelta(weeks=2, days=1),
        clinical_text="Depressive episode in the context of a role dispute with partner (renegotiation).",
        plain_text="Your low mood started when you and Sam began arguing about the move. "
        "We will work on how you two talk about it.",
    )
    TreatmentContract.objects.create(
        course=course,
        version=1,
        sessions_planned=16,
        drafted_by=therapist,
        schedule="Weekly, Tuesdays at 10:00, 50 minutes by video",
        goals="Feel less low; talk with Sam about the move without fighting",
        missed_session_policy="Tell your therapist a day ahead; a missed session still counts.",
        therapist_signed_name=therapist.display_name,
        therapist_signed_at=start + timedelta(weeks=2),
        patient_signed_name=patient.display_name,
        patient_signed_at=start + timedelta(weeks=2),
    )
    initial = ["symptoms_reviewed", "diagnosis_named", "sick_role_explained", "medication_considered"]
    for number in (1, 2, 3):
        note = _note(
            course,
            number,
            "initial",
            therapist,
            start + timedelta(weeks=number - 1),
            mood_since_last="Low most days",
            mood_rating=3,
            initial_tasks=initial if number == 1 else [],
            techniques=["exploratory_questioning", "clarification"],
            risk_level="low",
            risk_review="No current plans; safety reviewed",
            shared_summary=f"Session {number}: getting to know "
            "the people in your life and how the arguments with Sam began.",
            private_notes="Demo private note: therapist's own impressions.",
        )
        note.people.add(people["Sam"])
    last = None
    for number in (4, 5):
        last = _note(
            course,
            number,
            "middle",
            therapist,
            start + timedelta(weeks=number - 1),
            mood_since_last="A bit better after a calm talk",
            mood_rating=5,
            problem_area_focus=dispute,
            techniques=["communication_analysis", "role_play"],
            homework_review="Tried one calm talk",
            problem_area_work="Communication analysis of Sunday's argument",
            risk_level="none",
            work_at_home="Ask Sam for 20 minutes to talk about the move, using I statements",
            shared_summary="We looked at Sunday's argument and practised asking for what you need.",
            private_notes="Demo private note.",
        )
    HomeworkTask.objects.create(course=course, agreed_in=last, description=last.work_at_home)
    HomeworkTask.objects.create(
        course=course,
        description="Call Jo this week",
        status="tried",
        check_in="We met for coffee; it helped.",
        checked_in_at=timezone.now() - timedelta(days=2),
    )


def _initial_phase_course(patient: User) -> None:
    team = patient.care_team
    course = TreatmentCourse.objects.create(
        care_team=team,
        format="ipt",
        planned_sessions=12,
        status=CourseStatus.INITIAL,
        target_conditions=["depression", "anxiety"],
    )
    StatusChange.objects.create(
        course=course, from_status="intake", to_status="initial", changed_by=team.therapist
    )
    _people(
        course,
        [
            (
                "Mia",
                "friend",
                "rarely",
                2,
                "Old school friend",
                "Lives far away now",
                "Keep in touch",
                "partly",
                "",
            ),
            (
                "Dev",
                "work",
                "daily",
                3,
                "Helpful manager",
                "New team, don't know anyone",
                "",
                "unsure",
                "Make a friend at work",
            ),
        ],
    )
    _note(
        course,
        1,
        "initial",
        team.therapist,
        timezone.now() - timedelta(days=3),
        mood_since_last="Lonely since the move",
        mood_rating=4,
        initial_tasks=["symptoms_reviewed", "sick_role_explained"],
        risk_level="none",
        shared_summary="We talked about how you have felt since starting the new job.",
        private_notes="Demo private note.",
    )


def seed_courses(users: dict[str, User]) -> None:
    for email, build in (
        ("patient@demo.test", _middle_phase_course),
        ("patient2@demo.test", _initial_phase_course),
    ):
        patient = users[email]
        if not TreatmentCourse.objects.filter(care_team__patient=patient).exists():
            build(patient)
