"""Role-play's road to the database: every query starts from the acting user's care teams.

Readers: the course's patient, therapist and supervisor. "Missing" and "not yours" look the same.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from ipt.accounts.models import User
from ipt.care.access import courses_for, my_course_or_404
from ipt.care.models import TreatmentCourse
from ipt.practice.models import RolePlayScenario, RolePlaySession


def scenarios_for(user: User, course: TreatmentCourse) -> QuerySet[RolePlayScenario]:
    """The therapist's scenarios for this course, newest first."""
    return RolePlayScenario.objects.filter(course=course, course__in=courses_for(user)).select_related(
        "other_person"
    )


def sessions_for(user: User, course: TreatmentCourse) -> QuerySet[RolePlaySession]:
    """The course's role-play sessions, newest first, with their turns."""
    return (
        RolePlaySession.objects.filter(course=course, course__in=courses_for(user))
        .select_related("scenario__other_person")
        .prefetch_related("turns")
    )


def get_my_session(user: User, session_id: "uuid.UUID | str") -> RolePlaySession:
    """One of the patient's own sessions on their current course (Http404 otherwise)."""
    course = my_course_or_404(user)
    try:
        return sessions_for(user, course).get(pk=session_id)
    except (RolePlaySession.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such role-play.") from None


def get_my_scenario(user: User, scenario_id: "uuid.UUID | str") -> RolePlayScenario:
    course = my_course_or_404(user)
    try:
        return scenarios_for(user, course).get(pk=scenario_id)
    except (RolePlayScenario.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such scenario.") from None
