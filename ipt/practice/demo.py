"""Demo diary, lesson and role-play for `seed_demo` (demo data only).

Pat (patient@demo.test, a role dispute with their partner Sam) has kept the diary for the last
ten days: mood is lower on the days with a row with Sam and higher on the days with Rosa,
which is what the charts and the pre-session summary are there to show. Running it again adds
nothing that is already there.
"""

from datetime import timedelta

from django.utils import timezone

from ipt.accounts.models import User
from ipt.care.models import TreatmentCourse
from ipt.practice import roleplay_actions
from ipt.practice.diary_actions import today
from ipt.practice.models import DiaryEntry, DiaryInteraction, Feeling, LessonAssignment, RolePlaySession

# Days ago -> (mood, [(inventory name, feeling, what happened)]).
DIARY = {
    9: (4, [("Sam", Feeling.BAD, "Argued about the move again.")]),
    8: (5, []),
    7: (6, [("Rosa", Feeling.GOOD, "Long call with Mum.")]),
    6: (3, [("Sam", Feeling.BAD, "Sam booked a viewing without asking me.")]),
    5: (5, [("Sam", Feeling.MIXED, "We talked a little about the week.")]),
    4: (6, []),
    3: (7, [("Rosa", Feeling.GOOD, "Mum came round for dinner.")]),
    2: (5, [("Sam", Feeling.MIXED, "Asked Sam to talk about the move on Sunday; they said maybe.")]),
    1: (6, [("Sam", Feeling.GOOD, "We talked about the move without shouting.")]),
}


def _course(users: dict[str, User]) -> TreatmentCourse | None:
    patient = users.get("patient@demo.test")
    return TreatmentCourse.objects.filter(care_team__patient=patient).order_by("-created_at").first()


def _diary(course: TreatmentCourse) -> None:
    people = {person.name: person for person in course.inventory.filter(is_removed=False)}
    last_day = today(course)
    for days_ago, (mood, interactions) in DIARY.items():
        day = last_day - timedelta(days=days_ago)
        entry, created = DiaryEntry.objects.get_or_create(course=course, day=day, defaults={"mood": mood})
        if not created:
            continue
        for name, feeling, what_happened in interactions:
            person = people.get(name)
            DiaryInteraction.objects.create(
                entry=entry,
                person=person,
                other_person="" if person else name,
                what_happened=what_happened,
                feeling=feeling,
            )


def _lesson_and_roleplay(course: TreatmentCourse) -> None:
    therapist, patient = course.care_team.therapist, course.care_team.patient
    LessonAssignment.objects.get_or_create(
        course=course,
        lesson="communication-skills",
        defaults={
            "assigned_by": therapist,
            "note": "Before we practise the conversation about the move again.",
            "opened_at": timezone.now() - timedelta(days=2),
        },
    )
    if RolePlaySession.objects.filter(course=course).exists():
        return
    session = roleplay_actions.start_session(
        actor=patient, course=course, scenario_slug="partner-share-the-load"
    )
    roleplay_actions.take_turn(
        actor=patient, session=session, text="You never help with anything around here."
    )
    roleplay_actions.take_turn(
        actor=patient,
        session=session,
        text="I feel worn out when I do the shopping alone on Saturdays. Could you do it this week?",
    )


def seed_practice(users: dict[str, User]) -> None:
    course = _course(users)
    if course is None or not course.is_active:
        return
    _diary(course)
    _lesson_and_roleplay(course)
