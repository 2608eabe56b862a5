"""Session notes over the API: staff get the note without private notes; patients the summaries."""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from ninja import Router

from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care.access import get_course_for
from ipt.visits.models import NoteStatus, SessionNote
from ipt.visits.schemas import SessionNoteOut, SharedSummaryOut

router = Router(tags=["sessions"])


def _notes(course):
    return (
        SessionNote.objects.filter(encounter__course=course)
        .select_related("encounter")
        .order_by("encounter__number")
    )


def _flatten(note: SessionNote) -> dict:
    encounter = note.encounter
    return {
        "encounter_id": encounter.id,
        "number": encounter.number,
        "phase": encounter.phase,
        "starts_at": encounter.starts_at,
        "status": note.status,
        "problem_area_focus_id": note.problem_area_focus_id,
        **{
            name: getattr(note, name)
            for name in SessionNoteOut.model_fields
            if name not in {"encounter_id", "number", "phase", "starts_at", "status", "problem_area_focus_id"}
        },
    }


@router.get(
    "/courses/{course_id}/notes",
    response=list[SessionNoteOut],
    summary="Session notes of a course (therapist and supervisor; private notes are never included)",
)
def list_notes(request, course_id: UUID):
    course = get_course_for(request.auth, course_id)
    if request.auth.role not in (Role.THERAPIST, Role.SUPERVISOR):
        raise PermissionDenied("Patients read the shared summaries at /summaries.")
    record(
        actor=request.auth,
        action="note.list",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    return [_flatten(note) for note in _notes(course)]


@router.get(
    "/courses/{course_id}/summaries",
    response=list[SharedSummaryOut],
    summary="The shared summaries of signed sessions (the patient and their care team)",
)
def list_summaries(request, course_id: UUID):
    course = get_course_for(request.auth, course_id)
    record(
        actor=request.auth,
        action="summary.list",
        target=course,
        patient=course.care_team.patient,
        request=request,
    )
    signed = _notes(course).filter(status=NoteStatus.SIGNED)
    return [
        {
            "encounter_id": note.encounter.id,
            "number": note.encounter.number,
            "starts_at": note.encounter.starts_at,
            "shared_summary": note.shared_summary,
        }
        for note in signed
    ]
