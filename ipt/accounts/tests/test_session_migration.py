"""Migration 0003 moves sessions to accounts_session: the old rows, never read again, are cleared."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounts", "0002_caseload_version")]
AFTER = [("accounts", "0003_session_with_user")]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_clears_djangos_own_session_rows():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state([*BEFORE, ("sessions", "0001_initial")]).apps.get_model(
        "sessions", "Session"
    )
    old.objects.create(session_key="a" * 32, session_data="e30:x", expire_date=timezone.now())
    assert old.objects.count() == 1

    executor = MigrationExecutor(connection)  # a fresh graph, as `manage.py migrate` would load
    executor.migrate(AFTER)
    assert old.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_session")
        assert cursor.fetchone()[0] == 0
