"""The only road to course data: every query starts from the acting user's care teams.

Readers: the patient, their therapist and the therapist's supervisor. Writers: the therapist for
clinical records; the patient only where the method asks for their own words (inventory,
check-ins, acknowledgement, signature). "Missing" and "not yours" look the same (Http404).
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404

from ipt.accounts.access import care_teams_for, teams_of_patient, teams_of_supervisor, teams_of_therapist
from ipt.accounts.models import Role, User
from ipt.care.models import (
    ACTIVE_STATUSES,
    Formulation,
    HomeworkTask,
    InventoryPerson,
    ProblemArea,
    TerminationReview,
    TimelineEvent,
    TreatmentContract,
    TreatmentCourse,
)
from ipt.lib.prepared import first_instance, instances, uuid_key


def courses_for(user: User) -> QuerySet[TreatmentCourse]:
    return _courses_of(care_teams_for(user))


def _courses_of(care_teams: QuerySet) -> QuerySet[TreatmentCourse]:
    return TreatmentCourse.objects.filter(care_team__in=care_teams).select_related(
        "care_team__patient", "care_team__therapist"
    )


def _courses_of_patient(patient_id) -> QuerySet[TreatmentCourse]:
    return _courses_of(teams_of_patient(patient_id))


def _course_of_patient(course_id, user_id) -> QuerySet[TreatmentCourse]:
    return _courses_of(teams_of_patient(user_id)).filter(pk=course_id)


def _course_of_therapist(course_id, user_id) -> QuerySet[TreatmentCourse]:
    return _courses_of(teams_of_therapist(user_id)).filter(pk=course_id)


def _course_of_supervisor(course_id, user_id) -> QuerySet[TreatmentCourse]:
    return _courses_of(teams_of_supervisor(user_id)).filter(pk=course_id)


# The same rows as courses_for(user), one course: every course page opens with it, so compiled once.
_COURSE_OF_ROLE: dict[str, Callable[[Any, Any], QuerySet[TreatmentCourse]]] = {
    Role.PATIENT: _course_of_patient,
    Role.THERAPIST: _course_of_therapist,
    Role.SUPERVISOR: _course_of_supervisor,
}


def get_course_for(user: User, course_id) -> TreatmentCourse:
    build = _COURSE_OF_ROLE.get(user.role) if user.is_authenticated and user.is_active else None
    key = uuid_key(course_id)
    course = first_instance(build, key, user.pk) if build is not None and key is not None else None
    if course is None:
        raise Http404("No such course.")
    return course


def current_course_of_patient(user: User) -> TreatmentCourse | None:
    """A patient's active course (or their latest one)."""
    if user.role != Role.PATIENT or not user.is_authenticated or not user.is_active:
        return None
    courses = instances(_courses_of_patient, user.pk)  # on most of a patient's pages: compiled once
    active = [course for course in courses if course.status in ACTIVE_STATUSES]
    candidates = active or courses
    return candidates[0] if candidates else None


def my_course_or_404(user: User) -> TreatmentCourse:
    """The patient's current course for their own ``my/...`` pages (404 when they have none)."""
    course = current_course_of_patient(user)
    if course is None:
        raise Http404("You have no course yet.")
    return course


def is_course_therapist(user: User, course: TreatmentCourse) -> bool:
    return user.role == Role.THERAPIST and course.care_team.therapist_id == user.pk


def is_course_patient(user: User, course: TreatmentCourse) -> bool:
    return user.role == Role.PATIENT and course.care_team.patient_id == user.pk


def require_therapist(user: User, course: TreatmentCourse) -> None:
    if not is_course_therapist(user, course):
        raise PermissionDenied("Only the patient's therapist can change this.")


def require_patient(user: User, course: TreatmentCourse) -> None:
    if not is_course_patient(user, course):
        raise PermissionDenied("Only the patient can do this from their own account.")


def require_therapist_or_patient(user: User, course: TreatmentCourse) -> None:
    if not (is_course_therapist(user, course) or is_course_patient(user, course)):
        raise PermissionDenied("Only the patient and their therapist can change this.")


def _get(queryset, object_id, label: str):
    try:
        return queryset.get(pk=object_id)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        raise Http404(f"No such {label}.") from None


def inventory_for(user: User, course: TreatmentCourse) -> QuerySet[InventoryPerson]:
    return InventoryPerson.objects.filter(course=course, course__in=courses_for(user), is_removed=False)


def get_inventory_person_for(user: User, course: TreatmentCourse, person_id) -> InventoryPerson:
    return _get(inventory_for(user, course), person_id, "person")


def timeline_for(user: User, course: TreatmentCourse) -> QuerySet[TimelineEvent]:
    return TimelineEvent.objects.filter(course=course, course__in=courses_for(user)).select_related("person")


def problem_areas_for(user: User, course: TreatmentCourse) -> QuerySet[ProblemArea]:
    areas = ProblemArea.objects.filter(course=course, course__in=courses_for(user), is_removed=False)
    return areas.select_related("person").prefetch_related("stages")


def get_problem_area_for(user: User, course: TreatmentCourse, area_id) -> ProblemArea:
    return _get(problem_areas_for(user, course), area_id, "problem area")


def formulations_for(user: User, course: TreatmentCourse) -> QuerySet[Formulation]:
    """Staff see every version; the patient sees shared versions only."""
    formulations = Formulation.objects.filter(course=course, course__in=courses_for(user))
    if user.role == Role.PATIENT:
        return formulations.filter(shared_at__isnull=False)
    return formulations


def contracts_for(user: User, course: TreatmentCourse) -> QuerySet[TreatmentContract]:
    return TreatmentContract.objects.filter(course=course, course__in=courses_for(user))


def get_contract_for(user: User, course: TreatmentCourse, contract_id) -> TreatmentContract:
    return _get(contracts_for(user, course), contract_id, "contract")


def homework_for(user: User, course: TreatmentCourse) -> QuerySet[HomeworkTask]:
    return HomeworkTask.objects.filter(course=course, course__in=courses_for(user))


def get_homework_for(user: User, course: TreatmentCourse, task_id) -> HomeworkTask:
    return _get(homework_for(user, course), task_id, "task")


def termination_review_for(user: User, course: TreatmentCourse) -> TerminationReview | None:
    """The patient sees the review once it is shared."""
    review = TerminationReview.objects.filter(course=course, course__in=courses_for(user)).first()
    if review is not None and user.role == Role.PATIENT and review.shared_at is None:
        return None
    return review
