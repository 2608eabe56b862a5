"""The inbox's compiled rows are the threads and unread counts the ORM's query gives, for every role."""

import pytest

from ipt.messaging.access import INBOX_ORDER, inbox_rows, threads_with_unread_for
from ipt.messaging.models import ReadState
from ipt.messaging.tests.support import always_open, send, start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "persona", ["patient", "therapist", "supervisor", "other_patient", "other_therapist", "admin"]
)
def test_inbox_rows_are_the_threads_with_their_unread_counts(personas, persona):
    always_open(personas.therapist)
    first = start(personas.patient, personas.care_team, subject="First")
    second = start(personas.patient, personas.care_team, subject="Second")
    send(personas.therapist, first, "A reply")
    reply = send(personas.therapist, second, "Another reply")
    send(personas.therapist, second, "And one more")
    ReadState.objects.filter(thread=second, user=personas.patient).update(last_read_id=reply.pk)
    start(personas.other_patient, personas.other_care_team, subject="Elsewhere")
    user = personas.get(persona)
    expected = [
        {"pk": thread.pk, "unread": thread.unread}
        for thread in threads_with_unread_for(user).order_by(*INBOX_ORDER)
    ]
    assert inbox_rows(user) == expected
    assert inbox_rows(user) == expected  # again, from the compiled query
    if persona == "patient":
        assert [row["unread"] for row in expected] == [1, 1]  # one unread on each, after the read mark
    if persona == "admin":
        assert expected == []
