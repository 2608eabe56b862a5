import pytest

from ipt.care.models import CourseStatus, TreatmentCourse
from ipt.safety.crisis import ensure_default_crisis_lines


@pytest.fixture(autouse=True)
def crisis_lines(db):
    """The seeded defaults (a transactional test may have flushed them)."""
    ensure_default_crisis_lines()


def _course(team) -> TreatmentCourse:
    return TreatmentCourse.objects.create(
        care_team=team, status=CourseStatus.MIDDLE, planned_sessions=16, target_conditions=["depression"]
    )


@pytest.fixture
def course(personas) -> TreatmentCourse:
    return _course(personas.care_team)


@pytest.fixture
def other_course(personas) -> TreatmentCourse:
    return _course(personas.other_care_team)
