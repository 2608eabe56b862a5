"""SQLite writers queue on locks that wake them (ipt/lib/sqlite): the next writer starts when the
previous one commits, a writer that waits past the timeout fails cleanly, and a writer of another
process (the flock beside the database) is waited for too."""

import fcntl
import os
import threading

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler


def _connect(path, timeout: float = 20):
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "ipt.lib.sqlite",
                "NAME": str(path),
                "OPTIONS": {"timeout": timeout, "transaction_mode": "IMMEDIATE"},
            }
        }
    )
    wrapper = handler["default"]
    wrapper.ensure_connection()
    return wrapper


def _write(wrapper, value: str, before_commit=lambda: None) -> None:
    wrapper._start_transaction_under_autocommit()
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO log (value) VALUES (%s)", [value])
        before_commit()
    except BaseException:
        wrapper._rollback()
        raise
    wrapper._commit()


def _values(path) -> list[str]:
    reader = _connect(path)
    try:
        with reader.cursor() as cursor:
            cursor.execute("SELECT value FROM log ORDER BY id")
            return [row[0] for row in cursor.fetchall()]
    finally:
        reader.close()


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    # These tests open SQLite files of their own, never the test database.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "db.sqlite3"
    wrapper = _connect(path)
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, value TEXT)")
    wrapper.close()
    return path


def test_a_second_writer_starts_when_the_first_commits(database):
    first_holds_the_lock, let_first_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_until_let_go():
        first_holds_the_lock.set()
        let_first_commit.wait(10)

    def first():
        wrapper = _connect(database)
        try:
            _write(wrapper, "first", before_commit=hold_until_let_go)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            wrapper.close()

    def second():
        wrapper = _connect(database)
        try:
            _write(wrapper, "second")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            wrapper.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_holds_the_lock.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.3)
    assert two.is_alive(), "the second writer must wait while the first holds the write lock"
    let_first_commit.set()
    one.join(10)
    two.join(10)
    assert not errors
    assert _values(database) == ["first", "second"]


def test_a_writer_of_another_process_is_waited_for_and_the_timeout_fails_cleanly(database):
    # Another process's writer holds the flock beside the database (a separate open file counts
    # as another process for flock).
    other_process = os.open(f"{database}-writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(other_process, fcntl.LOCK_EX)
    wrapper = _connect(database, timeout=0.2)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            _write(wrapper, "while locked")
        assert wrapper._write_lock_file is None
        os.close(other_process)  # the other writer is done
        _write(wrapper, "after")
    finally:
        wrapper.close()
    assert _values(database) == ["after"]


def test_a_rolled_back_or_closed_transaction_frees_the_lock(database):
    wrapper = _connect(database, timeout=0.2)
    with pytest.raises(ZeroDivisionError):
        _write(wrapper, "lost", before_commit=lambda: 1 / 0)
    wrapper._start_transaction_under_autocommit()
    wrapper.close()  # a connection closed inside its transaction
    other = _connect(database, timeout=0.2)
    try:
        _write(other, "kept")
    finally:
        other.close()
    assert _values(database) == ["kept"]


def test_an_in_memory_database_takes_no_lock(tmp_path):
    wrapper = _connect(":memory:")
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, value TEXT)")
    _write(wrapper, "x")
    assert wrapper._write_lock_file is None
    wrapper.close()


def test_a_connection_copies_the_log_back_every_ten_thousand_pages_not_every_thousand(tmp_path):
    """A commit that checkpoints holds the write lock while it copies and syncs: rarer ones, each
    hot page copied once (settings.SQLITE_CHECKPOINT_PAGES)."""
    from django.conf import settings

    configured = settings.DATABASES["default"]
    if configured["ENGINE"] != "ipt.lib.sqlite":
        pytest.skip("the SQLite settings apply when DATABASE_URL names SQLite")
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "ipt.lib.sqlite",
                "NAME": str(tmp_path / "db"),
                "OPTIONS": configured["OPTIONS"],
            }
        }
    )
    with handler["default"].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == settings.SQLITE_CHECKPOINT_PAGES == 10_000
    handler["default"].close()
