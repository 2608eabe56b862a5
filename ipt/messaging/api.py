"""Secure messages over the JSON API (mounted at /api/v1/messages).

Who may use what: a patient reads and writes their own care team's conversations; a therapist
those of their caseload; a supervisor reads their supervisees' (no writing, no read marks); an
admin sees none. "Missing" and "not yours" look the same (404). Refusals say why (403 or 422).
Every read is audited without content.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from ipt.accounts.access import get_care_team_for, get_own_care_team
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.lib.schemas import ErrorOut
from ipt.messaging import actions
from ipt.messaging.access import PAGE_SIZE, get_thread_for, may_write, messages_after, threads_with_unread_for
from ipt.messaging.models import Message, Thread
from ipt.messaging.schemas import (
    MessageIn,
    MessageOut,
    ReadIn,
    ReadOut,
    ThreadOut,
    ThreadStartIn,
    ThreadStartOut,
    message_data,
)

router = Router(tags=["messages"])

REFUSALS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class AfterQuery(Schema):
    after: int = Field(
        0, ge=0, le=2**62, description="Messages with an id greater than this (0: from the start)"
    )
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description=f"At most {PAGE_SIZE}")


def _refusal(error: ValidationError) -> Status:
    return Status(422, {"detail": " ".join(error.messages)})


def _thread_out(thread: Thread, user) -> dict:
    team = thread.care_team
    return {
        "id": thread.pk,
        "subject": thread.subject,
        "care_team": team.pk,
        "patient": {"id": team.patient_id, "name": team.patient.display_name},
        "therapist": {"id": team.therapist_id, "name": team.therapist.display_name},
        "started_by": thread.started_by_id,
        "created_at": thread.created_at,
        "last_message_at": thread.last_message_at,
        "unread": getattr(thread, "unread", 0),
        "may_write": may_write(user, thread),
    }


def _with_unread(user, thread: Thread) -> Thread:
    return threads_with_unread_for(user).get(pk=thread.pk)


@router.get(
    "/threads",
    response={200: list[ThreadOut]},
    summary="The caller's conversations, newest first, with unread counts (patients: their own; "
    "therapists: their caseload's; supervisors: their supervisees'; admins: none)",
)
def list_threads(request):
    threads = list(threads_with_unread_for(request.auth).order_by("-last_message_at", "-created_at"))
    record(actor=request.auth, action="message.inbox.read", request=request, detail={"threads": len(threads)})
    return Status(200, [_thread_out(thread, request.auth) for thread in threads])


@router.post(
    "/threads",
    response={200: ThreadStartOut, 201: ThreadStartOut, **REFUSALS},
    summary="Start a conversation with its first message (patients: with their care team, no care_team "
    "needed; therapists: care_team of a patient of their caseload). 201 new, 200 a resend of the same client_id",
)
def start_thread(request, payload: ThreadStartIn):
    actor = request.auth
    if actor.role == Role.PATIENT:
        team = get_own_care_team(actor)
        if team is None or (payload.care_team is not None and payload.care_team != team.pk):
            raise Http404("No such care team.")
    elif actor.role == Role.THERAPIST:
        if payload.care_team is None:
            return Status(422, {"detail": "Say which patient's care team you are writing to (care_team)."})
        team = get_care_team_for(actor, payload.care_team)
    else:
        raise PermissionDenied("Only a patient and their therapist can start a conversation.")
    stored = (
        Message.objects.filter(sender=actor, client_id=payload.client_id).select_related("thread").first()
    )
    if stored is not None:
        if stored.thread.care_team_id != team.pk:
            return Status(422, {"detail": "This client_id was already used for another conversation."})
        return Status(200, _started(actor, stored.thread, stored))
    try:
        thread = actions.start_thread(
            author=actor,
            care_team=team,
            subject=payload.subject,
            body=payload.body,
            client_id=payload.client_id,
            request=request,
        )
    except ValidationError as error:
        return _refusal(error)
    first = Message.objects.select_related("sender").get(
        thread=thread, sender=actor, client_id=payload.client_id
    )
    return Status(201, _started(actor, thread, first))


def _started(actor, thread: Thread, first: Message) -> dict:
    return {"thread": _thread_out(_with_unread(actor, thread), actor), "message": message_data(first, actor)}


@router.get(
    "/threads/{thread_id}",
    response={200: ThreadOut, 404: ErrorOut},
    summary="One conversation (its patient, their therapist, the therapist's supervisor)",
)
def get_thread(request, thread_id: str):
    thread = get_thread_for(request.auth, thread_id)
    record(
        actor=request.auth,
        action="message.thread.read",
        target=thread,
        patient=thread.care_team.patient,
        request=request,
        detail={"api": True},
    )
    return Status(200, _thread_out(_with_unread(request.auth, thread), request.auth))


@router.get(
    "/threads/{thread_id}/messages",
    response={200: list[MessageOut], 404: ErrorOut, 422: ErrorOut},
    summary=f"Messages after id `after`, oldest first, at most {PAGE_SIZE} (every member, supervisors "
    "included); ask again from the last id until fewer come back",
)
def list_messages(request, thread_id: str, query: Query[AfterQuery]):
    thread = get_thread_for(request.auth, thread_id)
    found = messages_after(request.auth, thread, query.after, limit=query.limit)
    record(
        actor=request.auth,
        action="message.list",
        target=thread,
        patient=thread.care_team.patient,
        request=request,
        detail={"after": query.after, "count": len(found)},
    )
    return Status(200, [message_data(message, request.auth) for message in found])


@router.post(
    "/threads/{thread_id}/messages",
    response={200: MessageOut, 201: MessageOut, **REFUSALS},
    summary="Send a message (the patient and their therapist; not supervisors). 201 stored, 200 a resend "
    "of the same client_id (stored once, returned again)",
)
def send_message(request, thread_id: str, payload: MessageIn):
    thread = get_thread_for(request.auth, thread_id)
    try:
        message, created = actions.send_message(
            sender=request.auth,
            thread=thread,
            client_id=payload.client_id,
            body=payload.body,
            request=request,
        )
    except ValidationError as error:
        return _refusal(error)
    message = Message.objects.select_related("sender").prefetch_related("attachments").get(pk=message.pk)
    return Status(201 if created else 200, message_data(message, request.auth))


@router.post(
    "/threads/{thread_id}/read",
    response={200: ReadOut, **REFUSALS},
    summary="Mark the conversation read up to a message id (the patient and their therapist; the mark "
    "never moves back; supervisors' reading is not a read receipt)",
)
def mark_read(request, thread_id: str, payload: ReadIn):
    thread = get_thread_for(request.auth, thread_id)
    if not may_write(request.auth, thread):
        raise PermissionDenied("A supervisor reads without read marks.")
    up_to = actions.mark_read(reader=request.auth, thread=thread, up_to=payload.up_to, request=request)
    return Status(200, {"up_to": up_to})
