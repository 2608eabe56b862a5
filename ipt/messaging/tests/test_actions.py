"""Messaging actions: starting, sending (idempotent), limits, permissions, audit, read marks, files."""

import json
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ipt.audit.models import AuditEvent
from ipt.messaging import actions
from ipt.messaging.access import (
    read_up_to_of_others,
    threads_for,
    threads_with_unread_for,
)
from ipt.messaging.models import Attachment, Message, ReadState, Thread
from ipt.messaging.tests.support import EXE, JPEG, PDF, PNG, TEXT, always_open, send, start, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(personas):
    always_open(personas.therapist)
    return start(personas.patient, personas.care_team, subject="Sleep this week", body="First words")


class TestStarting:
    def test_a_patient_starts_a_conversation_with_their_first_message(self, personas, thread):
        assert thread.care_team == personas.care_team
        assert thread.subject == "Sleep this week"
        assert thread.started_by == personas.patient
        assert [m.body for m in thread.messages.all()] == ["First words"]
        assert AuditEvent.objects.filter(action="message.thread.start", object_id=str(thread.pk)).count() == 1

    def test_the_therapist_starts_one_with_a_patient_of_their_caseload(self, personas):
        thread = start(personas.therapist, personas.care_team)
        assert thread.messages.get().sender == personas.therapist

    @pytest.mark.parametrize("author", ["supervisor", "admin", "other_therapist", "other_patient"])
    def test_nobody_else_starts_a_conversation_for_the_care_team(self, personas, author):
        with pytest.raises(PermissionDenied):
            start(personas.get(author), personas.care_team)
        assert not Thread.objects.exists()

    @pytest.mark.parametrize("subject", ["", "   ", "x" * (actions.SUBJECT_MAX_CHARS + 1)])
    def test_a_missing_or_too_long_subject_is_refused(self, personas, subject):
        with pytest.raises(ValidationError):
            start(personas.patient, personas.care_team, subject=subject)
        assert not Thread.objects.exists()

    def test_a_resent_start_returns_the_same_conversation(self, personas):
        client_id = uuid.uuid4()
        first = actions.start_thread(
            author=personas.patient, care_team=personas.care_team, subject="S", body="B", client_id=client_id
        )
        again = actions.start_thread(
            author=personas.patient, care_team=personas.care_team, subject="S", body="B", client_id=client_id
        )
        assert again.pk == first.pk
        assert Thread.objects.count() == 1
        assert Message.objects.filter(sender=personas.patient).count() == 1


class TestSending:
    def test_a_resend_with_the_same_client_id_is_stored_once(self, personas, thread):
        client_id = uuid.uuid4()
        first, created = actions.send_message(
            sender=personas.therapist, thread=thread, client_id=client_id, body="See you Thursday"
        )
        again, created_again = actions.send_message(
            sender=personas.therapist, thread=thread, client_id=str(client_id), body="See you Thursday"
        )
        assert (created, created_again) == (True, False)
        assert again.pk == first.pk
        assert Message.objects.filter(sender=personas.therapist).count() == 1
        assert AuditEvent.objects.filter(action="message.send", object_id=str(first.pk)).count() == 1

    def test_the_same_client_id_from_another_sender_is_another_message(self, personas, thread):
        client_id = uuid.uuid4()
        send(personas.therapist, thread, client_id=client_id)
        send(personas.patient, thread, client_id=client_id)
        assert Message.objects.filter(client_id=client_id).count() == 2

    def test_a_client_id_used_in_another_conversation_is_refused(self, personas, thread):
        other = start(personas.patient, personas.care_team, subject="Another")
        client_id = uuid.uuid4()
        send(personas.patient, thread, client_id=client_id)
        with pytest.raises(ValidationError):
            send(personas.patient, other, client_id=client_id)

    @pytest.mark.parametrize("client_id", ["", "not-a-uuid", None])
    def test_a_message_without_a_valid_client_id_is_refused(self, personas, thread, client_id):
        with pytest.raises(ValidationError):
            actions.send_message(sender=personas.patient, thread=thread, client_id=client_id, body="Hi")

    def test_an_empty_message_is_refused(self, personas, thread):
        with pytest.raises(ValidationError, match="Write a message"):
            send(personas.patient, thread, "   \n ")

    def test_the_length_limit_is_the_setting(self, personas, thread, settings):
        settings.IPT_MESSAGE_MAX_CHARS = 20
        send(personas.patient, thread, "x" * 20)
        with pytest.raises(ValidationError, match="at most 20 characters"):
            send(personas.patient, thread, "x" * 21)

    @pytest.mark.parametrize("sender", ["supervisor", "admin", "other_therapist", "other_patient"])
    def test_only_the_patient_and_their_therapist_write(self, personas, thread, sender):
        before = Message.objects.count()
        with pytest.raises(PermissionDenied):
            send(personas.get(sender), thread)
        assert Message.objects.count() == before

    def test_sending_is_audited_without_content(self, personas, thread):
        message = send(
            personas.therapist, thread, "PRIVATE-WORDS about the dispute", files=[upload("a.txt", TEXT)]
        )
        event = AuditEvent.objects.get(action="message.send", object_id=str(message.pk))
        assert event.actor == personas.therapist
        assert event.patient == personas.patient
        assert event.detail["attachments"] == 1
        every_detail = json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))
        assert "PRIVATE-WORDS" not in every_detail and "Sleep this week" not in every_detail
        assert "a.txt" not in every_detail

    def test_ids_grow_in_a_thread_and_the_thread_moves_to_the_top(self, personas, thread):
        other = start(personas.patient, personas.care_team, subject="Older")
        first = send(personas.therapist, other)
        second = send(personas.therapist, thread)
        assert second.id > first.id
        assert threads_for(personas.patient).first() == thread


class TestReading:
    def test_the_sender_has_read_their_own_message(self, personas, thread):
        message = send(personas.therapist, thread)
        assert ReadState.objects.get(thread=thread, user=personas.therapist).last_read_id == message.id

    def test_unread_counts_messages_from_others_after_the_read_mark(self, personas, thread):
        send(personas.therapist, thread)
        send(personas.therapist, thread)
        assert threads_with_unread_for(personas.patient).get(pk=thread.pk).unread == 2
        assert threads_with_unread_for(personas.therapist).get(pk=thread.pk).unread == 0
        assert threads_with_unread_for(personas.supervisor).get(pk=thread.pk).unread == 3

    def test_read_marks_never_go_back(self, personas, thread):
        first = send(personas.therapist, thread)
        second = send(personas.therapist, thread)
        assert actions.mark_read(reader=personas.patient, thread=thread, up_to=second.id) == second.id
        assert actions.mark_read(reader=personas.patient, thread=thread, up_to=first.id) == second.id
        assert actions.mark_read(reader=personas.patient, thread=thread, up_to=0) == second.id
        assert read_up_to_of_others(personas.therapist, thread) == second.id
        assert threads_with_unread_for(personas.patient).get(pk=thread.pk).unread == 0

    def test_a_read_mark_stops_at_the_newest_message(self, personas, thread):
        newest = send(personas.therapist, thread)
        assert actions.mark_read(reader=personas.patient, thread=thread, up_to=newest.id + 1000) == newest.id

    def test_reading_is_audited_once_per_move(self, personas, thread):
        message = send(personas.therapist, thread)
        actions.mark_read(reader=personas.patient, thread=thread, up_to=message.id)
        actions.mark_read(reader=personas.patient, thread=thread, up_to=message.id)
        events = AuditEvent.objects.filter(action="message.read", actor=personas.patient)
        assert [event.detail for event in events] == [{"up_to": message.id}]

    def test_a_supervisor_reading_leaves_no_read_mark(self, personas, thread):
        message = send(personas.therapist, thread)
        assert actions.mark_read(reader=personas.supervisor, thread=thread, up_to=message.id) == 0
        assert not ReadState.objects.filter(user=personas.supervisor).exists()


class TestAttachments:
    def test_allowed_files_are_stored_with_the_type_their_bytes_show(self, personas, thread):
        message = send(
            personas.patient,
            thread,
            files=[upload("scan.pdf", PDF), upload("photo.txt", PNG), upload("notes.txt", TEXT)],
        )
        stored = {a.file_name: a for a in message.attachments.all()}
        assert stored["scan.pdf"].content_type == "application/pdf"
        assert stored["photo.txt"].content_type == "image/png"
        assert stored["notes.txt"].content_type == "text/plain"
        assert stored["scan.pdf"].content == PDF and stored["scan.pdf"].size == len(PDF)

    def test_a_jpeg_is_recognised(self, personas, thread):
        message = send(personas.patient, thread, files=[upload("me.jpg", JPEG)])
        assert message.attachments.get().content_type == "image/jpeg"

    def test_a_pdf_named_file_with_program_bytes_is_refused(self, personas, thread):
        before = Message.objects.count()
        with pytest.raises(ValidationError, match=r"report\.pdf"):
            send(personas.patient, thread, files=[upload("report.pdf", EXE)])
        assert Message.objects.count() == before and not Attachment.objects.exists()

    def test_a_file_over_the_size_limit_is_refused(self, personas, thread, settings):
        settings.IPT_MESSAGE_ATTACHMENT_MAX_BYTES = 1024
        send(personas.patient, thread, files=[upload("ok.txt", b"a" * 1024)])
        with pytest.raises(ValidationError, match="larger than"):
            send(personas.patient, thread, files=[upload("big.txt", b"a" * 1025)])
        assert Attachment.objects.count() == 1

    def test_more_files_than_the_limit_are_refused(self, personas, thread, settings):
        files = [upload(f"{n}.txt", TEXT) for n in range(settings.IPT_MESSAGE_ATTACHMENTS_MAX + 1)]
        with pytest.raises(ValidationError, match=f"at most {settings.IPT_MESSAGE_ATTACHMENTS_MAX} files"):
            send(personas.patient, thread, files=files)
        assert not Attachment.objects.exists()

    def test_an_empty_file_is_refused(self, personas, thread):
        with pytest.raises(ValidationError, match="empty"):
            send(personas.patient, thread, files=[upload("nothing.txt", b"")])

    def test_a_starting_message_can_carry_files(self, personas):
        thread = start(personas.patient, personas.care_team, files=[upload("scan.pdf", PDF)])
        assert thread.messages.first().attachments.get().content_type == "application/pdf"
