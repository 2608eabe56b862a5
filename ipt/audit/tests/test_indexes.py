"""Every page view appends an audit row: the table keeps only the indexes its reads use."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_actor_and_the_patient_are_found_by_their_time_ordered_indexes_alone():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "audit_auditevent")
    indexed = [info["columns"] for info in constraints.values() if info["index"] and not info["primary_key"]]
    assert ["actor_id", "at"] in indexed and ["patient_id", "at"] in indexed
    assert ["actor_id"] not in indexed and ["patient_id"] not in indexed
