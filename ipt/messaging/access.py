"""The only road to messages: every query starts from the care teams the acting user may see.

Patients see their own care team's threads, therapists their caseload's, supervisors their
supervisees' (read only); admins none. "Missing" and "not yours" look the same (Http404).
"""

import uuid
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from ipt.accounts.access import care_teams_for, teams_of_patient, teams_of_supervisor, teams_of_therapist
from ipt.accounts.models import CareTeam, Role, User
from ipt.lib.prepared import instances, value_rows
from ipt.messaging.models import Attachment, Message, ReadState, Thread

# A reconnecting client gets at most this many messages per request; it asks again from the last.
PAGE_SIZE = 200


def threads_for(user: User) -> QuerySet[Thread]:
    return _threads_of(care_teams_for(user))


def _threads_of(care_teams: QuerySet[CareTeam]) -> QuerySet[Thread]:
    # The referral reason is encrypted and never shown with messages: not read (or decrypted).
    return (
        Thread.objects.filter(care_team__in=care_teams)
        .select_related("care_team__patient", "care_team__therapist")
        .defer("care_team__referral_reason")
    )


def threads_with_unread_for(user: User) -> QuerySet[Thread]:
    """The user's threads, each with ``unread``: messages to them after what they have read. Both
    are per-thread subqueries on indexes (a join of every message, grouped, was most of the inbox's
    time)."""
    return _with_unread(threads_for(user), user.pk, for_staff=user.role != Role.PATIENT)


def _with_unread(threads: QuerySet[Thread], user_id, *, for_staff: bool) -> QuerySet[Thread]:
    last_read = ReadState.objects.filter(thread=OuterRef("pk"), user=user_id).values("last_read_id")[:1]
    to_user = Message.objects.filter(thread=OuterRef("pk"), id__gt=OuterRef("read_up_to")).exclude(
        sender=user_id
    )
    if for_staff:
        to_user = to_user.filter(is_auto_reply=False)  # automatic replies are written to the patient
    count = to_user.order_by().values("thread").annotate(n=Count("pk")).values("n")
    return threads.annotate(read_up_to=Coalesce(Subquery(last_read), 0)).annotate(
        unread=Coalesce(Subquery(count), 0)
    )


INBOX_ORDER = ("-last_message_at", "-created_at", "-pk")
INBOX_PAGE_SIZE = 25  # the newest conversations first; a therapist has one or more per patient
NAME_FIELDS = ("first_name", "last_name", "email")  # what display_name reads
_NO_THREAD = uuid.UUID(int=0)  # fills a short page's ids: no thread has it


# What an inbox row shows but its subject (which never changes), read for every thread: the key of
# a page's rendered rows. The e-mail addresses (unique) tell who the patient and therapist are.
INBOX_ROW_FIELDS = (
    "last_message_at",
    *[f"care_team__{who}__{field}" for who in ("patient", "therapist") for field in NAME_FIELDS],
)


def _inbox(care_teams: QuerySet[CareTeam], user_id, *, for_staff: bool) -> QuerySet:
    threads = _with_unread(Thread.objects.filter(care_team__in=care_teams), user_id, for_staff=for_staff)
    return threads.order_by(*INBOX_ORDER).values("pk", "unread", *INBOX_ROW_FIELDS)  # type: ignore[misc]


def _inbox_page(care_teams: QuerySet[CareTeam], thread_ids: tuple) -> QuerySet[Thread]:
    shown = ("subject", "care_team__patient_id", "care_team__therapist_id", *INBOX_ROW_FIELDS)
    return _threads_of(care_teams).filter(pk__in=thread_ids).only(*shown)


# One builder per role (compiled queries, ipt.lib.prepared), on the care teams care_teams_for gives.
def _inbox_of_patient(user_id) -> QuerySet:
    return _inbox(teams_of_patient(user_id), user_id, for_staff=False)


def _inbox_of_therapist(user_id) -> QuerySet:
    return _inbox(teams_of_therapist(user_id), user_id, for_staff=True)


def _inbox_of_supervisor(user_id) -> QuerySet:
    return _inbox(teams_of_supervisor(user_id), user_id, for_staff=True)


def _inbox_page_of_patient(user_id, *thread_ids) -> QuerySet[Thread]:
    return _inbox_page(teams_of_patient(user_id), thread_ids)


def _inbox_page_of_therapist(user_id, *thread_ids) -> QuerySet[Thread]:
    return _inbox_page(teams_of_therapist(user_id), thread_ids)


def _inbox_page_of_supervisor(user_id, *thread_ids) -> QuerySet[Thread]:
    return _inbox_page(teams_of_supervisor(user_id), thread_ids)


_INBOX_OF_ROLE: dict[str, tuple[Callable[..., QuerySet], Callable[..., QuerySet]]] = {
    Role.PATIENT: (_inbox_of_patient, _inbox_page_of_patient),
    Role.THERAPIST: (_inbox_of_therapist, _inbox_page_of_therapist),
    Role.SUPERVISOR: (_inbox_of_supervisor, _inbox_page_of_supervisor),
}


def inbox_rows(user: User) -> list[dict]:
    """Every thread of the user's, newest first, as {"pk", "unread", *INBOX_ROW_FIELDS}: the same
    threads and counts as ``threads_with_unread_for`` (the inbox's pages and its unread total, and
    the key of each page's rendered rows), compiled once per role."""
    builds = _INBOX_OF_ROLE.get(user.role) if user.is_authenticated and user.is_active else None
    return value_rows(builds[0], user.pk) if builds is not None else []


def inbox_page(user: User, thread_ids: list) -> list[Thread]:
    """Those of ``thread_ids`` (at most INBOX_PAGE_SIZE) that are the user's, as ``threads_for``
    gives them with the fields the inbox shows, in no particular order. The ids are padded to a
    full page, so that one compiled query serves every page."""
    builds = _INBOX_OF_ROLE.get(user.role) if user.is_authenticated and user.is_active else None
    if builds is None or not thread_ids:
        return []
    if len(thread_ids) > INBOX_PAGE_SIZE:
        raise ValueError(f"at most {INBOX_PAGE_SIZE} threads a page")
    padded = [*thread_ids, *[_NO_THREAD] * (INBOX_PAGE_SIZE - len(thread_ids))]
    return instances(builds[1], user.pk, *padded)


def get_thread_for(user: User, thread_id) -> Thread:
    try:
        return threads_for(user).get(pk=thread_id)
    except (Thread.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such conversation.") from None


def may_write(user: User, thread: Thread) -> bool:
    """The patient and their therapist write; a supervisor reads."""
    return user.pk in (thread.care_team.patient_id, thread.care_team.therapist_id)


def may_start_thread(user: User, care_team: CareTeam) -> bool:
    return user.pk in (care_team.patient_id, care_team.therapist_id)


def messages_of(user: User, thread: Thread) -> QuerySet[Message]:
    return Message.objects.filter(thread=thread, thread__in=threads_for(user)).select_related("sender")


def messages_after(user: User, thread: Thread, after: int, limit: int = PAGE_SIZE) -> list[Message]:
    """The next messages after id ``after``, in order, with their attachments."""
    return list(messages_of(user, thread).filter(id__gt=after).prefetch_related("attachments")[:limit])


def get_attachment_for(user: User, attachment_id) -> Attachment:
    try:
        return Attachment.objects.select_related("message__thread__care_team").get(
            pk=attachment_id, message__thread__in=threads_for(user)
        )
    except (Attachment.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such attachment.") from None


def read_up_to_of_others(user: User, thread: Thread) -> int:
    """How far the other writing member has read (for "read" marks on the user's own messages)."""
    others = [pk for pk in (thread.care_team.patient_id, thread.care_team.therapist_id) if pk != user.pk]
    state = ReadState.objects.filter(thread=thread, user_id__in=others).order_by("-last_read_id").first()
    return state.last_read_id if state else 0
