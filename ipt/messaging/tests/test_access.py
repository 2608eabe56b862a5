"""The inbox's compiled rows are the threads and unread counts the ORM's query gives, for every role."""

import pytest

from ipt.messaging.access import (
    INBOX_ORDER,
    INBOX_PAGE_SIZE,
    INBOX_ROW_FIELDS,
    inbox_page,
    inbox_rows,
    threads_with_unread_for,
)
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
    expected = list(
        threads_with_unread_for(user).order_by(*INBOX_ORDER).values("pk", "unread", *INBOX_ROW_FIELDS)
    )
    assert inbox_rows(user) == expected
    assert inbox_rows(user) == expected  # again, from the compiled query
    if persona == "patient":
        assert [row["unread"] for row in expected] == [1, 1]
        assert (
            expected[0]["care_team__therapist__email"] == personas.therapist.email
        )  # one unread on each, after the read mark
    if persona == "admin":
        assert expected == []


def test_an_inbox_page_holds_only_the_users_own_threads_of_those_asked_for(personas):
    always_open(personas.therapist)
    mine = [start(personas.patient, personas.care_team, subject=f"Mine {n}") for n in range(3)]
    theirs = start(personas.other_patient, personas.other_care_team, subject="Not yours")
    asked = [mine[2].pk, theirs.pk, mine[0].pk]
    for persona in ("patient", "therapist", "supervisor"):
        found = inbox_page(personas.get(persona), asked)
        assert {thread.pk for thread in found} == {mine[2].pk, mine[0].pk}
        assert {thread.subject for thread in found} == {"Mine 2", "Mine 0"}  # decrypted
        assert all(thread.care_team.patient == personas.patient for thread in found)
    assert [t.pk for t in inbox_page(personas.other_patient, asked)] == [theirs.pk]
    assert inbox_page(personas.admin, asked) == [] and inbox_page(personas.patient, []) == []
    with pytest.raises(ValueError):
        inbox_page(personas.patient, [mine[0].pk] * (INBOX_PAGE_SIZE + 1))
