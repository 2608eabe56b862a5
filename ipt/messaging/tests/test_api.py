"""The messaging API (/api/v1/messages): who may do what, idempotent sends, paging, read marks, refusals."""

import uuid

import pytest

from ipt.audit.models import AuditEvent
from ipt.messaging.access import PAGE_SIZE
from ipt.messaging.models import Message, ReadState, Thread
from ipt.messaging.tests.support import PDF, always_open, send, start, upload

pytestmark = pytest.mark.django_db

BASE = "/api/v1/messages"
BODY = "PRIVATE-BODY about the week"


def post(client, path, body):
    return client.post(BASE + path, data=body, content_type="application/json")


@pytest.fixture
def thread(personas):
    always_open(personas.therapist)
    return start(personas.patient, personas.care_team, subject="Sleep this week", body=BODY)


class TestListThreads:
    def test_each_member_gets_the_thread_with_their_unread_count(self, personas, thread, client_for):
        send(personas.therapist, thread)
        seen = {}
        for persona in ("patient", "therapist", "supervisor"):
            response = client_for(persona).get(BASE + "/threads")
            assert response.status_code == 200
            [row] = response.json()
            seen[persona] = (row["unread"], row["may_write"])
            assert row["id"] == str(thread.pk) and row["subject"] == "Sleep this week"
            assert row["patient"]["name"] == "Paula Tient" and row["therapist"]["name"] == "Thea Rapist"
        # Writing reads what came before: the therapist has nothing unread after replying.
        assert seen == {"patient": (1, True), "therapist": (0, True), "supervisor": (2, False)}
        assert AuditEvent.objects.filter(action="message.inbox.read").count() == 3

    @pytest.mark.parametrize("persona", ["other_therapist", "other_patient", "admin"])
    def test_others_get_an_empty_list(self, thread, client_for, persona):
        assert client_for(persona).get(BASE + "/threads").json() == []

    def test_anonymous_callers_are_refused(self, client_for):
        assert client_for("anonymous").get(BASE + "/threads").status_code == 401

    def test_one_thread_by_id(self, personas, thread, client_for):
        assert client_for("patient").get(f"{BASE}/threads/{thread.pk}").json()["id"] == str(thread.pk)
        assert client_for("other_patient").get(f"{BASE}/threads/{thread.pk}").status_code == 404
        assert client_for("patient").get(f"{BASE}/threads/not-an-id").status_code == 404


class TestStartThread:
    def test_a_patient_starts_with_their_own_care_team_and_a_resend_is_200(self, personas, client_for):
        always_open(personas.therapist)
        client = client_for("patient")
        body = {"subject": "Homework", "body": "A question", "client_id": str(uuid.uuid4())}
        first = post(client, "/threads", body)
        assert first.status_code == 201
        data = first.json()
        assert data["thread"]["care_team"] == str(personas.care_team.pk)
        assert data["message"]["body"] == "A question" and data["message"]["mine"] is True
        again = post(client, "/threads", body)
        assert again.status_code == 200 and again.json()["thread"]["id"] == data["thread"]["id"]
        assert Thread.objects.count() == 1

    def test_a_patient_cannot_name_another_care_team(self, personas, client_for):
        body = {
            "care_team": str(personas.other_care_team.pk),
            "subject": "S",
            "body": "B",
            "client_id": str(uuid.uuid4()),
        }
        assert post(client_for("patient"), "/threads", body).status_code == 404
        assert not Thread.objects.exists()

    def test_a_therapist_names_the_care_team(self, personas, client_for):
        client = client_for("therapist")
        missing = post(client, "/threads", {"subject": "S", "body": "B", "client_id": str(uuid.uuid4())})
        assert missing.status_code == 422 and "care_team" in missing.json()["detail"]
        body = {
            "care_team": str(personas.care_team.pk),
            "subject": "S",
            "body": "B",
            "client_id": str(uuid.uuid4()),
        }
        assert post(client, "/threads", body).status_code == 201
        other = {**body, "care_team": str(personas.other_care_team.pk), "client_id": str(uuid.uuid4())}
        assert post(client, "/threads", other).status_code == 404
        assert Thread.objects.count() == 1

    @pytest.mark.parametrize("persona", ["supervisor", "admin"])
    def test_supervisors_and_admins_cannot_start(self, personas, client_for, persona):
        body = {
            "care_team": str(personas.care_team.pk),
            "subject": "S",
            "body": "B",
            "client_id": str(uuid.uuid4()),
        }
        response = post(client_for(persona), "/threads", body)
        assert response.status_code == 403 and response.json()["detail"]
        assert not Thread.objects.exists()

    @pytest.mark.parametrize(
        "body",
        [
            {"subject": "S", "body": "B", "client_id": "x"},
            {"subject": "S", "body": "B"},
            {"subject": "S", "body": "B", "client_id": "00000000-0000-4000-8000-000000000000", "extra": 1},
        ],
    )
    def test_malformed_requests_are_422(self, client_for, body):
        assert post(client_for("patient"), "/threads", body).status_code == 422
        assert not Thread.objects.exists()

    def test_an_empty_subject_or_body_is_422_with_a_clear_detail(self, client_for):
        response = post(
            client_for("patient"), "/threads", {"subject": " ", "body": "B", "client_id": str(uuid.uuid4())}
        )
        assert response.status_code == 422 and response.json()["detail"] == "Give the conversation a subject."
        response = post(
            client_for("patient"), "/threads", {"subject": "S", "body": "", "client_id": str(uuid.uuid4())}
        )
        assert response.status_code == 422 and "Write a message" in response.json()["detail"]


class TestMessages:
    def test_messages_after_an_id_in_order(self, personas, thread, client_for):
        sent = [send(personas.therapist, thread, f"m{n}") for n in range(3)]
        response = client_for("patient").get(f"{BASE}/threads/{thread.pk}/messages?after={sent[0].id}")
        assert response.status_code == 200
        rows = response.json()
        assert [row["id"] for row in rows] == [m.id for m in sent[1:]]
        assert rows[0]["body"] == "m1" and rows[0]["sender_name"] == "Thea Rapist"
        assert (
            rows[0]["sender_role"] == "therapist"
            and rows[0]["mine"] is False
            and rows[0]["auto_reply"] is False
        )
        event = AuditEvent.objects.get(action="message.list")
        assert event.detail == {"after": sent[0].id, "count": 2}

    def test_at_most_200_at_a_time(self, personas, thread, client_for):
        Message.objects.bulk_create(
            [Message(thread=thread, sender=personas.therapist, body=f"n{n}") for n in range(PAGE_SIZE + 10)]
        )
        client = client_for("supervisor")
        first = client.get(f"{BASE}/threads/{thread.pk}/messages").json()
        assert len(first) == PAGE_SIZE
        rest = client.get(f"{BASE}/threads/{thread.pk}/messages?after={first[-1]['id']}").json()
        ids = [row["id"] for row in first + rest]
        assert ids == sorted(set(ids)) and len(ids) == PAGE_SIZE + 11
        assert client.get(f"{BASE}/threads/{thread.pk}/messages?limit=201").status_code == 422
        assert client.get(f"{BASE}/threads/{thread.pk}/messages?after=-1").status_code == 422

    def test_attachments_are_listed_with_their_download_links(self, personas, thread, client_for):
        send(personas.therapist, thread, files=[upload("plan.pdf", PDF)])
        rows = client_for("patient").get(f"{BASE}/threads/{thread.pk}/messages").json()
        [attachment] = rows[-1]["attachments"]
        assert attachment["name"] == "plan.pdf" and attachment["size"] == len(PDF)
        assert attachment["content_type"] == "application/pdf"
        assert attachment["url"] == f"/messages/attachments/{attachment['id']}/"

    @pytest.mark.parametrize(
        "persona,status", [("other_therapist", 404), ("other_patient", 404), ("admin", 404)]
    )
    def test_others_cannot_read_the_messages(self, thread, client_for, persona, status):
        response = client_for(persona).get(f"{BASE}/threads/{thread.pk}/messages")
        assert response.status_code == status and BODY not in response.content.decode()

    def test_a_send_is_201_and_a_resend_200_with_the_same_id(self, personas, thread, client_for):
        client = client_for("therapist")
        body = {"client_id": str(uuid.uuid4()), "body": "See you Thursday"}
        first = post(client, f"/threads/{thread.pk}/messages", body)
        again = post(client, f"/threads/{thread.pk}/messages", body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"] and first.json()["mine"] is True
        assert thread.messages.filter(sender=personas.therapist).count() == 1

    @pytest.mark.parametrize(
        "persona,status",
        [("supervisor", 403), ("other_therapist", 404), ("other_patient", 404), ("admin", 404)],
    )
    def test_only_the_patient_and_therapist_send(self, thread, client_for, persona, status):
        response = post(
            client_for(persona),
            f"/threads/{thread.pk}/messages",
            {"client_id": str(uuid.uuid4()), "body": "x"},
        )
        assert response.status_code == status and response.json()["detail"]
        assert thread.messages.count() == 1

    @pytest.mark.parametrize(
        "body,status",
        [
            ({"client_id": str(uuid.uuid4()), "body": "   "}, 422),
            ({"client_id": str(uuid.uuid4()), "body": "x" * 5001}, 422),
            ({"client_id": str(uuid.uuid4()), "body": "x", "sender": "someone"}, 422),
            ({"client_id": "nope", "body": "x"}, 422),
            ({"body": "x"}, 422),
        ],
    )
    def test_refused_sends_say_why(self, thread, client_for, body, status):
        response = post(client_for("patient"), f"/threads/{thread.pk}/messages", body)
        assert response.status_code == status and response.json()["detail"]
        assert thread.messages.count() == 1

    def test_a_bad_thread_id_is_404(self, client_for):
        for path in ("/threads/nope/messages", f"/threads/{uuid.uuid4()}/messages"):
            assert (
                post(client_for("patient"), path, {"client_id": str(uuid.uuid4()), "body": "x"}).status_code
                == 404
            )
            assert client_for("patient").get(BASE + path).status_code == 404


class TestRead:
    def test_the_mark_moves_forward_only(self, personas, thread, client_for):
        sent = [send(personas.therapist, thread) for _ in range(2)]
        client = client_for("patient")
        assert post(client, f"/threads/{thread.pk}/read", {"up_to": sent[1].id}).json() == {
            "up_to": sent[1].id
        }
        assert post(client, f"/threads/{thread.pk}/read", {"up_to": sent[0].id}).json() == {
            "up_to": sent[1].id
        }
        assert ReadState.objects.get(user=personas.patient).last_read_id == sent[1].id

    @pytest.mark.parametrize("body", [{"up_to": -1}, {"up_to": "x"}, {}, {"up_to": 1, "extra": True}])
    def test_malformed_marks_are_422(self, thread, client_for, body):
        assert post(client_for("patient"), f"/threads/{thread.pk}/read", body).status_code == 422

    @pytest.mark.parametrize("persona,status", [("supervisor", 403), ("other_patient", 404), ("admin", 404)])
    def test_others_cannot_mark(self, personas, thread, client_for, persona, status):
        assert post(client_for(persona), f"/threads/{thread.pk}/read", {"up_to": 1}).status_code == status
        assert not ReadState.objects.filter(user=personas.get(persona)).exists()


def test_the_operations_are_in_the_openapi_schema(client_for):
    paths = client_for("patient").get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/messages/threads",
        "/api/v1/messages/threads/{thread_id}/messages",
        "/api/v1/messages/threads/{thread_id}/read",
    ):
        assert path in paths
