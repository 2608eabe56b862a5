"""Secure messaging pages: the inbox, a new conversation, a thread, read marks and attachments.

A thread page is rendered whole on the server (it works without JavaScript: the compose form
posts, with files); static/js/thread.js then keeps it live over the thread's websocket. The
patient and their therapist write; the therapist's supervisor reads (no form, no read marks).
Every page view and download is audited without content.
"""

import re
from datetime import UTC

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipt.accounts.access import care_teams_for, get_own_care_team
from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role, User
from ipt.audit.actions import record
from ipt.lib.fragments import cached_html
from ipt.messaging import actions
from ipt.messaging.access import (
    INBOX_PAGE_SIZE,
    PAGE_SIZE,
    get_attachment_for,
    get_thread_for,
    inbox_page,
    inbox_rows,
    may_write,
    messages_of,
    read_up_to_of_others,
)
from ipt.messaging.forms import ComposeForm, NewThreadForm
from ipt.messaging.models import Attachment, Message, ReadState, Thread
from ipt.messaging.office_hours import is_open, next_opening
from ipt.scheduling.emails import time_and_day
from ipt.scheduling.models import WeeklyHours
from ipt.scheduling.slots import zone_of

EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "text/plain": (".txt",),
}
UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w.\- ()]+")


# Who is who ------------------------------------------------------------------------------------


def other_party(user: User, thread: Thread) -> str:
    """Whom the conversation is with, from the viewer's side."""
    team = thread.care_team
    if user.pk == team.patient_id:
        return f"{team.therapist.display_name} (your therapist)"
    if user.pk == team.therapist_id:
        return team.patient.display_name
    return f"{team.patient.display_name} with {team.therapist.display_name}"


def sender_name(message: Message, viewer: User) -> str:
    if message.sender_id is None:
        return "Automatic reply"
    if message.sender_id == viewer.pk:
        return "You"
    return message.sender.display_name


def local_time(value, viewer: User) -> str:
    local = value.astimezone(zone_of(viewer))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


# Inbox -----------------------------------------------------------------------------------------


@never_cache
@require_GET
@role_required(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
def inbox(request):
    user = request.user
    every_thread = inbox_rows(user)
    pages = max(1, -(-len(every_thread) // INBOX_PAGE_SIZE))
    number = _page_number(request.GET.get("page"), pages)
    shown = every_thread[(number - 1) * INBOX_PAGE_SIZE : number * INBOX_PAGE_SIZE]
    record(
        actor=user,
        action="message.inbox.read",
        request=request,
        detail={"threads": len(shown), "page": number},
    )
    # The rows show nothing but what ``shown`` holds (and subjects, which never change), seen
    # from this user in their zone: rendered once per change of any of it.
    thread_list = (
        cached_html(f"inbox:{user.pk}:{user.time_zone}:{shown!r}", lambda: _thread_list(user, shown))
        if shown
        else ""
    )
    may_start = user.role == Role.THERAPIST or (
        user.role == Role.PATIENT and get_own_care_team(user) is not None
    )
    return render(
        request,
        "messaging/inbox.html",
        {
            "thread_list": thread_list,
            "may_start": may_start,
            "unread_total": sum(row["unread"] for row in every_thread),
            "is_patient": user.role == Role.PATIENT,
            "page": {"number": number, "pages": pages, "newer": number - 1, "older": number + 1},
        },
    )


def _thread_list(user: User, shown: list[dict]) -> str:
    by_id = {thread.pk: thread for thread in inbox_page(user, [row["pk"] for row in shown])}
    rows = []
    for row in shown:
        thread = by_id.get(row["pk"])  # None: deleted since the first read
        if thread is not None:
            rows.append(
                {
                    "thread": thread,
                    "unread": row["unread"],
                    "other": other_party(user, thread),
                    "when": local_time(thread.last_message_at, user),
                    "iso": thread.last_message_at.astimezone(UTC).isoformat(),
                }
            )
    return render_to_string("messaging/_thread_list.html", {"rows": rows})


def _page_number(raw: str | None, pages: int) -> int:
    """A page that is not a number shows the first; one past either end, the nearest there is."""
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), pages)


# A new conversation ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT, Role.THERAPIST)
def new_thread(request):
    user = request.user
    own_team = get_own_care_team(user) if user.role == Role.PATIENT else None
    if user.role == Role.PATIENT and own_team is None:
        raise Http404("You are not linked to a therapist yet.")
    care_teams = care_teams_for(user) if user.role == Role.THERAPIST else None
    if request.method == "POST":
        form = NewThreadForm(request.POST, request.FILES, care_teams=care_teams)
        if form.is_valid():
            data = form.cleaned_data
            try:
                thread = actions.start_thread(
                    author=user,
                    care_team=data.get("care_team") or own_team,
                    subject=data["subject"],
                    body=data["body"],
                    client_id=data["client_id"],
                    files=data["files"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                flash.success(request, "Sent.")
                return redirect("thread_detail", thread_id=thread.pk)
    else:
        form = NewThreadForm(care_teams=care_teams)
    record(actor=user, action="message.new_thread.read", request=request)
    context = {
        "form": form,
        "own_team": own_team,
        "has_patients": care_teams is None or care_teams.exists(),
        "is_patient": user.role == Role.PATIENT,
    }
    return render(request, "messaging/new_thread.html", context, status=400 if form.errors else 200)


# A thread --------------------------------------------------------------------------------------


def _message_rows(page: list[Message], viewer: User, others_read_up_to: int) -> list[dict]:
    rows = []
    for message in page:
        mine = message.sender_id == viewer.pk
        rows.append(
            {
                "message": message,
                "mine": mine,
                "sender": sender_name(message, viewer),
                "iso": message.sent_at.astimezone(UTC).isoformat(),
                "local": local_time(message.sent_at, viewer),
                "read": mine and others_read_up_to >= message.id,
                "attachments": list(message.attachments.all()),
            }
        )
    return rows


def _page(user: User, thread: Thread, before: int | None) -> tuple[list[Message], bool]:
    """The latest messages (or the ones before id ``before``), oldest first; and whether more are earlier."""
    found = messages_of(user, thread).prefetch_related("attachments").order_by("-id")
    if before is not None:
        found = found.filter(id__lt=before)
    newest_first = list(found[: PAGE_SIZE + 1])
    return list(reversed(newest_first[:PAGE_SIZE])), len(newest_first) > PAGE_SIZE


def _has_unread(user: User, thread: Thread, page: list[Message]) -> bool:
    """Whether the page shows someone else's message past the reader's mark (else nothing to mark)."""
    mark = (
        ReadState.objects.filter(thread=thread, user=user).values_list("last_read_id", flat=True).first() or 0
    )
    return any(message.id > mark and message.sender_id != user.pk for message in page)


def office_hours_of(therapist: User, viewer: User) -> dict:
    """The therapist's weekly hours (their own wall clock), whether open now, and the next opening."""
    hours = list(WeeklyHours.objects.filter(therapist=therapist).order_by("weekday", "starts"))
    now = timezone.now()
    days: dict[str, list[str]] = {}
    for block in hours:
        days.setdefault(block.get_weekday_display(), []).append(f"{block.starts:%H:%M}–{block.ends:%H:%M}")
    open_now = bool(hours) and is_open(therapist, now)
    opening = None if not hours or open_now else next_opening(therapist, now)
    return {
        "days": list(days.items()),
        "zone": str(zone_of(therapist)),
        "same_zone": str(zone_of(therapist)) == str(zone_of(viewer)),
        "open_now": open_now,
        "next_opening": time_and_day(opening, viewer) if opening else None,
    }


def _parse_before(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or len(text) > 18:
        raise Http404("No such page.")
    return int(text)


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
def thread_detail(request, thread_id):
    user = request.user
    thread = get_thread_for(user, thread_id)
    writer = may_write(user, thread)
    form = None
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Supervisors read conversations; they do not write in them.")
        form = ComposeForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.send_message(
                    sender=user,
                    thread=thread,
                    client_id=data["client_id"],
                    body=data["body"],
                    files=data["files"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("thread_detail", thread_id=thread.pk)
    elif writer:
        form = ComposeForm()
    before = _parse_before(request.GET.get("before"))
    page, has_earlier = _page(user, thread, before)
    if writer and before is None and request.method == "GET" and _has_unread(user, thread, page):
        # Reading is a page view; a refused post changes nothing, read marks included.
        actions.mark_read(reader=user, thread=thread, up_to=page[-1].id, request=request)
    record(
        actor=user,
        action="message.thread.read",
        target=thread,
        patient=thread.care_team.patient,
        request=request,
        detail={"shown": len(page), "before": before} if before is not None else {"shown": len(page)},
    )
    others_read_up_to = read_up_to_of_others(user, thread) if writer else 0
    context = {
        "thread": thread,
        "other": other_party(user, thread),
        "rows": _message_rows(page, user, others_read_up_to),
        "last_id": page[-1].id if page else 0,
        "earlier_before": page[0].id if has_earlier and page else None,
        "is_older_page": before is not None,
        "others_read_up_to": others_read_up_to,
        "viewer_zone": str(zone_of(user)),
        "may_write": writer,
        "form": form,
        "is_patient": user.pk == thread.care_team.patient_id,
        "office_hours": office_hours_of(thread.care_team.therapist, user)
        if user.pk == thread.care_team.patient_id
        else None,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "messaging/thread.html", context, status=status)


@require_POST
@role_required(Role.PATIENT, Role.THERAPIST)
def thread_read(request, thread_id):
    """Read up to a message id (sent by the page's script; the page view marks it too)."""
    thread = get_thread_for(request.user, thread_id)
    text = request.POST.get("up_to", "")
    if not text.isdigit() or len(text) > 18:
        return HttpResponseBadRequest("up_to must be a message id.")
    up_to = actions.mark_read(reader=request.user, thread=thread, up_to=int(text), request=request)
    return JsonResponse({"up_to": up_to})


# Attachments -----------------------------------------------------------------------------------


def safe_file_name(attachment: Attachment) -> str:
    """The sent name without paths or odd characters, with an extension that matches its type."""
    name = attachment.file_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME_CHARACTERS.sub("_", name).strip(" ._")[:100] or "attachment"
    extensions = EXTENSIONS.get(attachment.content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name


@require_GET
@role_required(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
def attachment_download(request, attachment_id):
    attachment = get_attachment_for(request.user, attachment_id)
    thread = attachment.message.thread
    record(
        actor=request.user,
        action="message.attachment.download",
        target=attachment,
        patient=thread.care_team.patient,
        request=request,
        detail={"thread": str(thread.pk), "message": attachment.message_id, "size": attachment.size},
    )
    response = HttpResponse(attachment.content, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, safe_file_name(attachment))
    response["Content-Length"] = str(attachment.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
