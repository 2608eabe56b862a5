"""The only road to messages: every query starts from the care teams the acting user may see.

Patients see their own care team's threads, therapists their caseload's, supervisors their
supervisees' (read only); admins none. "Missing" and "not yours" look the same (Http404).
"""

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from ipt.accounts.access import care_teams_for
from ipt.accounts.models import CareTeam, Role, User
from ipt.messaging.models import Attachment, Message, ReadState, Thread

# A reconnecting client gets at most this many messages per request; it asks again from the last.
PAGE_SIZE = 200


def threads_for(user: User) -> QuerySet[Thread]:
    # The referral reason is encrypted and never shown with messages: not read (or decrypted).
    return (
        Thread.objects.filter(care_team__in=care_teams_for(user))
        .select_related("care_team__patient", "care_team__therapist")
        .defer("care_team__referral_reason")
    )


def threads_with_unread_for(user: User) -> QuerySet[Thread]:
    """The user's threads, each with ``unread``: messages to them after what they have read. Both
    are per-thread subqueries on indexes (a join of every message, grouped, was most of the inbox's
    time)."""
    last_read = ReadState.objects.filter(thread=OuterRef("pk"), user=user).values("last_read_id")[:1]
    to_user = Message.objects.filter(thread=OuterRef("pk"), id__gt=OuterRef("read_up_to")).exclude(
        sender=user
    )
    if user.role != Role.PATIENT:
        to_user = to_user.filter(is_auto_reply=False)  # automatic replies are written to the patient
    count = to_user.order_by().values("thread").annotate(n=Count("pk")).values("n")
    return (
        threads_for(user)
        .annotate(read_up_to=Coalesce(Subquery(last_read), 0))
        .annotate(unread=Coalesce(Subquery(count), 0))
    )


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
