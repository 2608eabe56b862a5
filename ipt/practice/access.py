"""The only road to practice rows: every query starts from the acting user's courses.

Built on ``ipt.care.access``: "missing" and "not yours" look the same (no rows, or Http404).
"""

from django.db.models import QuerySet

from ipt.accounts.models import User
from ipt.care.access import courses_for, current_course_of_patient
from ipt.care.models import TreatmentCourse
from ipt.practice.models import LessonAssignment

# Lessons -----------------------------------------------------------------------------------------


def lesson_assignments_for(user: User, course: TreatmentCourse) -> QuerySet[LessonAssignment]:
    """The course's lesson assignments, for its patient, therapist and supervisor."""
    return LessonAssignment.objects.filter(course=course, course__in=courses_for(user)).select_related(
        "assigned_by"
    )


def get_my_lesson_assignment(user: User, slug: str) -> LessonAssignment | None:
    """The patient's assignment of this lesson in their current course (None: not assigned)."""
    course = current_course_of_patient(user)
    if course is None:
        return None
    return lesson_assignments_for(user, course).filter(lesson=slug).first()


# End of lessons ----------------------------------------------------------------------------------
