"""Emails about messages carry no content: no subject line of the thread, no words, no names of
patients, only that something is waiting and a link to sign in. One email per unread stretch: a
member is emailed again only after they have read what they were emailed about.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from ipt.accounts.models import User
from ipt.messaging.models import Message, ReadState
from ipt.scheduling.emails import time_and_day

logger = logging.getLogger(__name__)

SUBJECT = "You have a new secure message"
BODY = """Hello,

There is a new message for you on {site}. For your privacy this email does not contain it.

Sign in to read it: {url}

This inbox is not watched around the clock. If you are in crisis, do not wait for a reply:
call your local emergency number or see {crisis_url}
"""


def notify_new_message(message_id: int) -> None:
    try:
        _notify(message_id)
    except Exception:
        logger.exception("Could not send the new-message email")


def _notify(message_id: int) -> None:
    message = Message.objects.select_related(
        "thread__care_team__patient", "thread__care_team__therapist"
    ).get(pk=message_id)
    team = message.thread.care_team
    for recipient in (team.patient, team.therapist):
        if recipient.pk == message.sender_id or not recipient.is_active or not recipient.email:
            continue
        if _claim(message, recipient):
            _send(recipient, message)


def _claim(message: Message, recipient: User) -> bool:
    """True once per unread stretch: when the recipient has read all they were emailed about."""
    with transaction.atomic():
        state, _ = ReadState.objects.select_for_update().get_or_create(thread=message.thread, user=recipient)
        if state.last_read_id >= message.id or state.notified_id > state.last_read_id:
            return False
        state.notified_id = message.id
        state.save(update_fields=["notified_id"])
        return True


def _send(recipient: User, message: Message) -> None:
    base = settings.SITE_URL
    send_mail(
        SUBJECT,
        BODY.format(
            site="IPT Online",
            url=base + reverse("thread_detail", args=[message.thread_id]),
            crisis_url=base + reverse("crisis"),
        ),
        None,
        [recipient.email],
    )


def auto_reply_text(therapist: User, patient: User, opening: datetime | None) -> str:
    when = f" The next time is {time_and_day(opening, patient)}." if opening else ""
    return (
        f"Automatic reply: thank you, your message has been delivered. {therapist.display_name} reads "
        f"messages during working hours, and it is outside them now.{when} Messages are not watched "
        "around the clock. If you are in crisis or feel unsafe, do not wait for a reply: call your "
        "local emergency number or open Crisis help (the link at the top of every page)."
    )
