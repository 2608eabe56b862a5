"""Read access to IPT courses for API clients (patients see their own; staff their caseload)."""

from uuid import UUID

from ninja import Router

from ipt.audit.actions import record
from ipt.care import access
from ipt.care.checklist import checklist, session_position
from ipt.care.models import TreatmentCourse
from ipt.care.schemas import CourseOut, CourseSummaryOut, InventoryPersonOut, TimelineEventOut

router = Router(tags=["courses"])


def _summary(course: TreatmentCourse) -> dict:
    held, _ = session_position(course)
    return {
        "id": course.id,
        "patient_id": course.care_team.patient_id,
        "therapist_id": course.care_team.therapist_id,
        "format": course.format,
        "status": course.status,
        "planned_sessions": course.planned_sessions,
        "sessions_held": held,
        "created_at": course.created_at,
    }


@router.get("/courses", response=list[CourseSummaryOut], summary="Courses the caller may see")
def list_courses(request):
    courses = list(access.courses_for(request.auth))
    record(actor=request.auth, action="course.list", request=request, detail={"count": len(courses)})
    return [_summary(course) for course in courses]


@router.get("/courses/{course_id}", response=CourseOut, summary="One course with its phase checklist")
def get_course(request, course_id: UUID):
    course = access.get_course_for(request.auth, course_id)
    record(
        actor=request.auth,
        action="course.read",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    phases = [
        {"phase": status, "items": [{"label": item.label, "done": item.done} for item in items]}
        for status, _, items in checklist(course)
    ]
    return {
        **_summary(course),
        "target_conditions": course.target_conditions,
        "icd10_codes": course.icd10_codes,
        "checklist": phases,
    }


@router.get(
    "/courses/{course_id}/inventory",
    response=list[InventoryPersonOut],
    summary="The interpersonal inventory (the patient and their care team)",
)
def get_inventory(request, course_id: UUID):
    course = access.get_course_for(request.auth, course_id)
    record(
        actor=request.auth,
        action="inventory.read",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    return list(access.inventory_for(request.auth, course))


@router.get(
    "/courses/{course_id}/timeline",
    response=list[TimelineEventOut],
    summary="The interpersonal timeline (the patient and their care team)",
)
def get_timeline(request, course_id: UUID):
    course = access.get_course_for(request.auth, course_id)
    record(
        actor=request.auth,
        action="timeline.read",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    return list(access.timeline_for(request.auth, course))
