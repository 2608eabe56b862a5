"""Messaging pages for every persona: the inbox, a new conversation, a thread, read marks and files."""

import json
import re
import uuid
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.messaging import actions, views
from ipt.messaging.access import PAGE_SIZE
from ipt.messaging.models import Attachment, Message, ReadState, Thread
from ipt.messaging.tests.support import EXE, PDF, PNG, TEXT, always_open, send, start, upload
from ipt.scheduling.tests.conftest import working_week

pytestmark = pytest.mark.django_db

SUBJECT = "Sleep this week"
BODY = "PRIVATE-BODY I could not sleep after the call"


@pytest.fixture
def thread(personas):
    always_open(personas.therapist)
    return start(personas.patient, personas.care_team, subject=SUBJECT, body=BODY)


def url(thread) -> str:
    return reverse("thread_detail", args=[thread.pk])


def message_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-message-id="(\d+)"', html)]


def details_of(action: str) -> list[dict]:
    return list(AuditEvent.objects.filter(action=action).values_list("detail", flat=True))


def raw_cache_values() -> list[bytes]:
    """Every value the cache holds, as stored (locmem in-process, or this run's Redis keys)."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return list(cache._cache.values())
    client = cache._cache.get_client(write=False)
    return [client.get(key) for key in client.scan_iter(match=cache.make_key("*"))]


def assert_no_content_audited() -> None:
    every_detail = json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert "PRIVATE" not in every_detail and SUBJECT not in every_detail


# Inbox -----------------------------------------------------------------------------------------


class TestInbox:
    def test_a_patient_sees_their_conversations_with_unread_counts_and_the_office_hours_note(
        self, personas, thread, client_for
    ):
        send(personas.therapist, thread, "PRIVATE reply")
        response = client_for("patient").get(reverse("inbox"))
        html = response.content.decode()
        assert response.status_code == 200
        assert SUBJECT in html and "Thea Rapist" in html
        assert 'data-testid="unread">1 unread' in html
        assert "not watched around the clock" in html
        assert reverse("crisis") in html
        assert reverse("new_thread") in html
        assert "PRIVATE" not in html  # bodies are not shown in the list
        assert AuditEvent.objects.filter(action="message.inbox.read", actor=personas.patient).count() == 1
        assert_no_content_audited()

    def test_the_newest_conversation_comes_first(self, personas, thread, client_for):
        start(personas.patient, personas.care_team, subject="Older one")
        send(personas.therapist, thread)
        html = client_for("therapist").get(reverse("inbox")).content.decode()
        assert html.index(SUBJECT) < html.index("Older one")

    def test_the_therapist_sees_the_patients_name_and_may_start(self, thread, client_for):
        html = client_for("therapist").get(reverse("inbox")).content.decode()
        assert "Paula Tient" in html and SUBJECT in html
        assert 'data-testid="unread">1 unread' in html
        assert reverse("new_thread") in html
        assert "not watched around the clock</p>" not in html.split("<footer")[0]

    def test_the_supervisor_reads_the_list_but_starts_nothing(self, thread, client_for):
        html = client_for("supervisor").get(reverse("inbox")).content.decode()
        assert SUBJECT in html and "Paula Tient with Thea Rapist" in html
        assert reverse("new_thread") not in html

    @pytest.mark.parametrize("persona", ["other_therapist", "other_patient"])
    def test_others_do_not_see_the_conversation(self, thread, client_for, persona):
        response = client_for(persona).get(reverse("inbox"))
        assert response.status_code == 200
        assert SUBJECT not in response.content.decode()

    def test_a_long_inbox_comes_in_pages_newest_first_with_every_unread_message_counted(
        self, personas, client_for, monkeypatch
    ):
        always_open(personas.therapist)
        monkeypatch.setattr(views, "INBOX_PAGE_SIZE", 2)
        for n in range(5):  # Topic 0 is the oldest; each has one message the therapist has not read
            start(personas.patient, personas.care_team, subject=f"Topic {n}")
        client = client_for("therapist")

        def subjects(page: str | None) -> list[str]:
            html = client.get(reverse("inbox"), {"page": page} if page is not None else {}).content.decode()
            assert 'data-testid="unread-total">5 unread' in html  # all pages' unread, on each page
            return re.findall(r'thread-subject">(Topic \d)<', html)

        assert subjects(None) == ["Topic 4", "Topic 3"]
        assert subjects("2") == ["Topic 2", "Topic 1"]
        assert subjects("3") == ["Topic 0"]
        html = client.get(reverse("inbox"), {"page": "2"}).content.decode()
        assert "Page 2 of 3" in html and "?page=1" in html and "?page=3" in html
        # Past either end: the nearest page; not a number: the first. Never an error.
        assert subjects("99") == ["Topic 0"] and subjects("-4") == subjects("first") == ["Topic 4", "Topic 3"]
        assert subjects("9" * 5000) == ["Topic 4", "Topic 3"]
        events = AuditEvent.objects.filter(action="message.inbox.read", actor=personas.therapist)
        pages = [detail["page"] for detail in events.order_by("id").values_list("detail", flat=True)]
        assert pages == [1, 2, 3, 2, 3, 1, 1, 1]

    def test_the_list_shows_every_change_at_once_though_its_rows_are_rendered_once(
        self, personas, thread, client_for
    ):
        client = client_for("therapist")

        def row() -> str:
            html = client.get(reverse("inbox")).content.decode()
            return html[html.index('data-testid="thread"') :].split("</li>")[0]

        assert row() == row() and 'data-testid="unread">1 unread' in row()
        send(personas.patient, thread, "PRIVATE another")
        assert 'data-testid="unread">2 unread' in row()
        last = Message.objects.filter(thread=thread).latest("id")
        ReadState.objects.update_or_create(
            thread=thread, user=personas.therapist, defaults={"last_read_id": last.pk}
        )
        assert "unread" not in row()
        personas.patient.first_name = "Pauline"
        personas.patient.save()
        assert "Pauline Tient" in row()
        personas.therapist.time_zone = "Pacific/Auckland"
        personas.therapist.save()
        shown = views.local_time(Thread.objects.get(pk=thread.pk).last_message_at, personas.therapist)
        assert shown in row()

    def test_the_rendered_rows_are_kept_encrypted(self, thread, client_for):
        assert SUBJECT in client_for("patient").get(reverse("inbox")).content.decode()
        kept = raw_cache_values()
        assert kept and not any(SUBJECT.encode() in value for value in kept)

    def test_a_short_inbox_has_no_pager(self, thread, client_for):
        html = client_for("therapist").get(reverse("inbox")).content.decode()
        assert 'data-testid="inbox-pager"' not in html and SUBJECT in html

    def test_an_admin_is_refused(self, client_for):
        assert client_for("admin").get(reverse("inbox")).status_code == 403

    def test_anonymous_visitors_are_sent_to_sign_in(self, client_for):
        response = client_for("anonymous").get(reverse("inbox"))
        assert response.status_code == 302 and reverse("login") in response["Location"]


# New conversation ------------------------------------------------------------------------------


class TestNewThread:
    def test_a_patient_writes_to_their_care_team_without_choosing(self, personas, client_for):
        always_open(personas.therapist)
        client = client_for("patient")
        page = client.get(reverse("new_thread")).content.decode()
        assert "Thea Rapist" in page and 'name="care_team"' not in page
        assert "not watched around the clock" in page
        client_id = re.search(r'name="client_id" value="([^"]+)"', page).group(1)
        data = {"subject": "Homework", "body": "PRIVATE question", "client_id": client_id}
        response = client.post(reverse("new_thread"), data)
        thread = Thread.objects.get()
        assert response.status_code == 302 and response["Location"] == url(thread)
        assert thread.care_team == personas.care_team and thread.subject == "Homework"
        # A second click on the same form starts nothing new.
        assert client.post(reverse("new_thread"), data)["Location"] == url(thread)
        assert Thread.objects.count() == 1 and Message.objects.filter(sender=personas.patient).count() == 1

    def test_a_therapist_chooses_a_patient_of_their_caseload(self, personas, client_for):
        client = client_for("therapist")
        page = client.get(reverse("new_thread")).content.decode()
        assert "Paula Tient" in page and "Oscar Patient" not in page
        response = client.post(
            reverse("new_thread"),
            {
                "care_team": personas.care_team.pk,
                "subject": "Before Thursday",
                "body": "Hello",
                "client_id": _uuid(),
            },
        )
        assert response.status_code == 302
        assert Thread.objects.get().care_team == personas.care_team

    def test_a_therapist_cannot_write_to_another_caseload(self, personas, client_for):
        response = client_for("therapist").post(
            reverse("new_thread"),
            {"care_team": personas.other_care_team.pk, "subject": "S", "body": "B", "client_id": _uuid()},
        )
        assert response.status_code == 400
        assert "Choose a patient of your caseload" in response.content.decode()
        assert not Thread.objects.exists()

    def test_a_refusal_keeps_what_was_written(self, personas, client_for):
        response = client_for("patient").post(
            reverse("new_thread"),
            {
                "subject": "Kept subject",
                "body": "Kept words",
                "client_id": _uuid(),
                "files": SimpleUploadedFile("report.pdf", EXE, content_type="application/pdf"),
            },
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "Kept subject" in html and "Kept words" in html
        assert "not a file type that can be sent" in html
        assert not Thread.objects.exists()

    def test_an_empty_message_is_refused_clearly(self, client_for):
        response = client_for("patient").post(
            reverse("new_thread"), {"subject": "S", "body": "", "client_id": _uuid()}
        )
        assert (
            response.status_code == 400 and "Write a message before sending it." in response.content.decode()
        )

    @pytest.mark.parametrize("persona,status", [("supervisor", 403), ("admin", 403)])
    def test_supervisors_and_admins_cannot_start(self, client_for, persona, status):
        assert client_for(persona).get(reverse("new_thread")).status_code == status


def _uuid() -> str:
    return str(uuid.uuid4())


# A thread --------------------------------------------------------------------------------------


class TestThreadPage:
    def test_the_patient_sees_the_messages_the_form_and_the_dom_contract(self, personas, thread, client_for):
        reply = send(personas.therapist, thread, "PRIVATE reply", files=[upload("plan.pdf", PDF)])
        response = client_for("patient").get(url(thread))
        html = response.content.decode()
        assert response.status_code == 200
        assert f'data-thread-id="{thread.pk}"' in html
        assert f'data-ws-path="/ws/threads/{thread.pk}/"' in html
        assert f'data-last-id="{reply.id}"' in html
        assert f'data-user-id="{personas.patient.pk}"' in html
        assert 'data-may-write="true"' in html
        assert message_ids(html) == [m.id for m in thread.messages.all()]
        assert BODY in html and "PRIVATE reply" in html and "Thea Rapist" in html
        attachment = Attachment.objects.get()
        assert reverse("attachment_download", args=[attachment.pk]) in html and "plan.pdf" in html
        assert re.search(r'<form id="compose" [^>]*method="post" enctype="multipart/form-data"', html)
        assert 'name="body" id="id_body"' in html and 'type="file" name="files"' in html
        assert 'data-testid="connection-status"' in html
        assert "js/thread.js" in html

    def test_viewing_marks_the_thread_read_up_to_the_last_shown_message(self, personas, thread, client_for):
        reply = send(personas.therapist, thread)
        client_for("patient").get(url(thread))
        assert ReadState.objects.get(thread=thread, user=personas.patient).last_read_id == reply.id
        assert AuditEvent.objects.filter(action="message.thread.read", object_id=str(thread.pk)).count() == 1
        assert_no_content_audited()

    def test_read_marks_show_on_my_messages_once_the_other_has_read_them(self, personas, thread, client_for):
        patient = client_for("patient")
        before = patient.get(url(thread)).content.decode()
        assert 'data-testid="read-mark" hidden>Read' in before
        client_for("therapist").get(url(thread))
        after = patient.get(url(thread)).content.decode()
        assert 'data-testid="read-mark">Read' in after
        assert f'data-others-read-up-to="{thread.messages.get().id}"' in after

    def test_the_supervisor_reads_without_a_form_or_read_marks(self, personas, thread, client_for):
        html = client_for("supervisor").get(url(thread)).content.decode()
        assert BODY in html
        assert 'id="compose"' not in html and 'data-may-write="false"' in html
        assert not ReadState.objects.filter(user=personas.supervisor).exists()
        assert AuditEvent.objects.filter(action="message.thread.read", actor=personas.supervisor).exists()

    def test_the_supervisor_cannot_post(self, personas, thread, client_for):
        response = client_for("supervisor").post(url(thread), {"body": "No", "client_id": _uuid()})
        assert response.status_code == 403
        assert thread.messages.count() == 1

    @pytest.mark.parametrize(
        "persona,status", [("other_therapist", 404), ("other_patient", 404), ("admin", 403)]
    )
    def test_everyone_else_is_refused(self, thread, client_for, persona, status):
        for response in (
            client_for(persona).get(url(thread)),
            client_for(persona).post(url(thread), {"body": "No", "client_id": _uuid()}),
        ):
            assert response.status_code == status
            assert BODY not in response.content.decode()
        assert thread.messages.count() == 1

    def test_an_unknown_thread_is_404(self, client_for):
        assert client_for("patient").get(reverse("thread_detail", args=[_uuid()])).status_code == 404

    def test_sending_without_javascript_stores_the_message_with_files_and_redirects(
        self, personas, thread, client_for
    ):
        client = client_for("therapist")
        response = client.post(
            url(thread),
            {
                "body": "PRIVATE see the attached",
                "client_id": _uuid(),
                "files": [
                    SimpleUploadedFile("worksheet.pdf", PDF, content_type="application/pdf"),
                    SimpleUploadedFile("chart.png", PNG, content_type="image/png"),
                ],
            },
        )
        assert response.status_code == 302 and response["Location"] == url(thread)
        message = thread.messages.get(sender=personas.therapist)
        assert sorted(a.file_name for a in message.attachments.all()) == ["chart.png", "worksheet.pdf"]

    def test_a_resent_post_is_stored_once(self, personas, thread, client_for):
        client = client_for("therapist")
        data = {"body": "Once", "client_id": _uuid()}
        client.post(url(thread), data)
        client.post(url(thread), data)
        assert thread.messages.filter(sender=personas.therapist).count() == 1

    @pytest.mark.parametrize(
        "files,error",
        [
            ([("report.pdf", EXE)], "not a file type that can be sent"),
            ([(f"{n}.txt", TEXT) for n in range(4)], "Attach at most 3 files"),
        ],
    )
    def test_a_refused_message_is_shown_again_with_its_text(self, personas, thread, client_for, files, error):
        response = client_for("patient").post(
            url(thread),
            {
                "body": "Kept text",
                "client_id": _uuid(),
                "files": [SimpleUploadedFile(n, d) for n, d in files],
            },
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert error in html and ">Kept text</textarea>" in html
        assert thread.messages.count() == 1

    def test_a_refused_post_does_not_move_the_read_mark(self, personas, thread, client_for):
        send(personas.therapist, thread)
        response = client_for("patient").post(url(thread), {"junk": "x"})
        assert response.status_code == 400
        assert (
            ReadState.objects.get(thread=thread, user=personas.patient).last_read_id
            == thread.messages.first().id
        )

    def test_a_file_over_the_limit_is_refused_before_it_is_read(self, personas, thread, client_for, settings):
        settings.IPT_MESSAGE_ATTACHMENT_MAX_BYTES = 10
        response = client_for("patient").post(
            url(thread),
            {"body": "Big", "client_id": _uuid(), "files": SimpleUploadedFile("big.txt", b"a" * 11)},
        )
        assert response.status_code == 400 and "larger than" in response.content.decode()

    def test_times_are_shown_in_the_viewers_zone(self, personas, thread, client_for):
        personas.patient.time_zone = "Asia/Tokyo"
        personas.patient.save(update_fields=["time_zone"])
        first = thread.messages.get()
        local = first.sent_at.astimezone(ZoneInfo("Asia/Tokyo"))
        html = client_for("patient").get(url(thread)).content.decode()
        assert f"{local:%H:%M}" in html
        assert first.sent_at.astimezone(UTC).isoformat() in html

    def test_an_automatic_reply_is_marked_as_such(self, personas, client_for):
        thread = start(personas.patient, personas.care_team)  # no working hours: outside them
        html = client_for("patient").get(url(thread)).content.decode()
        assert 'class="message auto-reply"' in html and "Automatic reply" in html

    def test_the_patient_sees_the_therapists_office_hours(self, personas, thread, client_for):
        thread.care_team.therapist.weekly_hours.all().delete()
        working_week(personas.therapist)
        html = client_for("patient").get(url(thread)).content.decode()
        assert 'data-testid="office-hours"' in html
        assert "Monday" in html and "09:00–17:00" in html

    def test_the_patient_is_told_when_no_office_hours_are_set(self, personas, thread, client_for):
        personas.therapist.weekly_hours.all().delete()
        html = client_for("patient").get(url(thread)).content.decode()
        assert "has not set working hours" in html

    def test_the_therapist_is_not_shown_the_office_hours_box(self, thread, client_for):
        assert 'data-testid="office-hours"' not in client_for("therapist").get(url(thread)).content.decode()

    def test_a_long_thread_shows_the_latest_page_with_a_link_to_earlier(self, personas, thread, client_for):
        Message.objects.bulk_create(
            [Message(thread=thread, sender=personas.therapist, body=f"n{n}") for n in range(PAGE_SIZE + 5)]
        )
        client = client_for("patient")
        html = client.get(url(thread)).content.decode()
        ids = message_ids(html)
        assert len(ids) == PAGE_SIZE and ids == sorted(ids) and ids[-1] == thread.messages.last().id
        earlier = re.search(r'href="\?before=(\d+)"', html).group(1)
        older = message_ids(client.get(url(thread) + f"?before={earlier}").content.decode())
        assert older == [m.id for m in thread.messages.all()][:6]
        assert client.get(url(thread) + "?before=x").status_code == 404


# Read endpoint ---------------------------------------------------------------------------------


class TestReadEndpoint:
    def test_a_member_marks_read_and_it_never_goes_back(self, personas, thread, client_for):
        reply = send(personas.therapist, thread)
        client = client_for("patient")
        path = reverse("thread_read", args=[thread.pk])
        assert client.post(path, {"up_to": reply.id}).json() == {"up_to": reply.id}
        assert client.post(path, {"up_to": 1}).json() == {"up_to": reply.id}
        assert client.post(path, {"up_to": "abc"}).status_code == 400

    @pytest.mark.parametrize("persona,status", [("supervisor", 403), ("admin", 403), ("other_patient", 404)])
    def test_others_cannot_mark_read(self, thread, client_for, persona, status):
        assert (
            client_for(persona).post(reverse("thread_read", args=[thread.pk]), {"up_to": 1}).status_code
            == status
        )

    def test_a_get_is_refused(self, thread, client_for):
        assert client_for("patient").get(reverse("thread_read", args=[thread.pk])).status_code == 405


# Attachments -----------------------------------------------------------------------------------


class TestAttachmentDownload:
    @pytest.fixture
    def attachment(self, personas, thread):
        send(personas.patient, thread, files=[upload('../../evil"\r\nX-Bad: 1.pdf', PDF)])
        return Attachment.objects.get()

    @pytest.mark.parametrize("persona", ["patient", "therapist", "supervisor"])
    def test_members_download_with_safe_headers_and_an_audit(self, personas, attachment, client_for, persona):
        response = client_for(persona).get(reverse("attachment_download", args=[attachment.pk]))
        assert response.status_code == 200
        assert response.content == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment; filename=")
        assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition
        assert disposition.endswith('.pdf"')
        event = AuditEvent.objects.get(action="message.attachment.download", actor=personas.get(persona))
        assert event.object_id == str(attachment.pk) and "evil" not in json.dumps(event.detail)

    def test_the_extension_follows_the_type_the_bytes_show(self, personas, thread, client_for):
        send(personas.patient, thread, files=[upload("page.html", TEXT)])
        attachment = Attachment.objects.get()
        response = client_for("therapist").get(reverse("attachment_download", args=[attachment.pk]))
        assert response["Content-Type"].startswith("text/plain")
        assert response["Content-Disposition"] == 'attachment; filename="page.html.txt"'

    @pytest.mark.parametrize(
        "persona,status",
        [("other_therapist", 404), ("other_patient", 404), ("admin", 403), ("anonymous", 302)],
    )
    def test_nobody_else_downloads(self, attachment, client_for, persona, status):
        response = client_for(persona).get(reverse("attachment_download", args=[attachment.pk]))
        assert response.status_code == status
        assert PDF not in response.content
        assert not AuditEvent.objects.filter(action="message.attachment.download").exists()


def test_reading_a_thread_twice_audits_twice_and_marks_once(personas, thread, client_for):
    reply = send(personas.therapist, thread)
    client = client_for("patient")
    client.get(url(thread))
    client.get(url(thread))
    assert len(details_of("message.thread.read")) == 2
    assert details_of("message.read") == [{"up_to": reply.id}]
    assert actions.mark_read(reader=personas.patient, thread=thread, up_to=0) == reply.id
