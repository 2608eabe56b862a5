"""New-message emails through a real SMTP server (aiosmtpd): no content, once per unread stretch."""

import pytest
from django.conf import settings
from django.urls import reverse

from ipt.messaging import actions
from ipt.messaging.tests.support import always_open, send, start

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "SECRET-SUBJECT grief after the funeral"
BODY = "SECRET-BODY I argued with Sam again"


def whole_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return f"{message['Subject']}\n{part.get_content()}"


def assert_content_free(message, personas) -> None:
    text = whole_text(message).lower()
    for word in ("secret-subject", "grief", "funeral", "secret-body", "sam", "argued"):
        assert word not in text, f"{word!r} appears in the email"
    for person in (personas.patient, personas.therapist):
        assert person.first_name.lower() not in text and person.last_name.lower() not in text


@pytest.fixture
def thread(personas, mailbox):
    always_open(personas.therapist)
    return start(personas.patient, personas.care_team, subject=SUBJECT, body=BODY)


def test_the_therapist_gets_one_email_with_no_content_and_a_link(personas, mailbox, thread):
    [email] = mailbox.to(personas.therapist.email)
    assert_content_free(email, personas)
    assert settings.SITE_URL + reverse("thread_detail", args=[thread.pk]) in mailbox.body(email)
    assert "not watched around the clock" in mailbox.body(email)
    assert mailbox.to(personas.patient.email) == []


def test_a_second_message_before_reading_sends_no_second_email(personas, mailbox, thread):
    send(personas.patient, thread, "SECRET-BODY more about Sam")
    send(personas.patient, thread, "SECRET-BODY and more")
    assert len(mailbox.to(personas.therapist.email)) == 1


def test_after_reading_the_next_message_sends_another_email(personas, mailbox, thread):
    newest = send(personas.patient, thread, "SECRET-BODY more")
    actions.mark_read(reader=personas.therapist, thread=thread, up_to=newest.id)
    send(personas.patient, thread, "SECRET-BODY again")
    emails = mailbox.to(personas.therapist.email)
    assert len(emails) == 2
    for email in emails:
        assert_content_free(email, personas)


def test_reading_only_part_of_what_was_emailed_about_sends_no_new_email(personas, mailbox, thread):
    first = thread.messages.get()
    send(personas.patient, thread, "SECRET-BODY second")
    actions.mark_read(reader=personas.therapist, thread=thread, up_to=first.id - 1)
    send(personas.patient, thread, "SECRET-BODY third")
    assert len(mailbox.to(personas.therapist.email)) == 1


def test_the_patient_is_emailed_about_the_therapists_reply_without_content(personas, mailbox, thread):
    send(personas.therapist, thread, "SECRET-BODY let us talk about Sam on Thursday")
    [email] = mailbox.to(personas.patient.email)
    assert_content_free(email, personas)
    assert "crisis" in mailbox.body(email).lower()


def test_nobody_is_emailed_about_their_own_message_or_as_a_supervisor(personas, mailbox, thread):
    send(personas.therapist, thread)
    assert mailbox.to(personas.supervisor.email) == []
    assert len(mailbox.to(personas.therapist.email)) == 1


def test_an_inactive_recipient_is_not_emailed(personas, mailbox):
    always_open(personas.therapist)
    personas.therapist.is_active = False
    personas.therapist.save(update_fields=["is_active"])
    start(personas.patient, personas.care_team)
    assert mailbox.messages == []
