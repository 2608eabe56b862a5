"""Sessions started at the same moment get distinct numbers (one encounter per number)."""

import threading

import pytest
from django.db import connection, connections

from ipt.visits import actions
from ipt.visits.models import Encounter
from ipt.visits.tests.conftest import make_course

STARTS = 8


@pytest.mark.django_db(transaction=True)
def test_sessions_started_at_the_same_moment_get_distinct_numbers(personas):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads cannot share an in-memory SQLite database; run on PostgreSQL or a file")
    course = make_course(personas.care_team)
    barrier = threading.Barrier(STARTS)
    numbers: list[int] = []
    failures: list[Exception] = []

    def start() -> None:
        try:
            barrier.wait()
            numbers.append(actions.create_encounter(actor=personas.therapist, course=course).number)
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(STARTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(numbers) == list(range(1, STARTS + 1))
    assert Encounter.objects.filter(course=course).count() == STARTS
