"""SQLite whose write transactions queue on locks that wake the next writer at once.

SQLite lets one writer in at a time; a writer that finds the database locked sleeps in its busy
handler and retries after 1, 2, 5 ... 100 ms, whether or not the lock came free meanwhile. Every
page view writes its audit row, so under load most of a page's time was spent asleep while the
lock was free (issue 7, P2). Here a write transaction first takes a lock of this process (threads
wake in turn) and then an exclusive ``flock`` on a file beside the database (other processes, polled
every half millisecond), so SQLite's own lock is always free when BEGIN IMMEDIATE asks for it.
Statements that write outside a transaction still meet SQLite's busy handler; they are rare.
"""

import fcntl
import os
import threading
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

POLL_SECONDS = 0.0005
_this_process = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock_file: int | None = None

    def _start_transaction_under_autocommit(self):
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private hooks the stubs leave out
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            super()._commit()  # type: ignore[misc]  # private hooks the stubs leave out
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            super()._rollback()  # type: ignore[misc]  # private hooks the stubs leave out
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            super()._close()  # type: ignore[misc]  # private hooks the stubs leave out
        finally:
            self._release_write_lock()

    def _take_write_lock(self) -> None:
        if self.is_in_memory_db() or self._write_lock_file is not None:
            return
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        deadline = time.monotonic() + timeout
        if not _this_process.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            lock_file = os.open(f"{self.settings_dict['NAME']}-writelock", os.O_RDWR | os.O_CREAT, 0o600)
        except BaseException:
            _this_process.release()
            raise
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(POLL_SECONDS)
                    continue
                os.close(lock_file)
                _this_process.release()
                raise OperationalError("database is locked") from None
            break
        self._write_lock_file = lock_file

    def _release_write_lock(self) -> None:
        lock_file, self._write_lock_file = self._write_lock_file, None
        if lock_file is not None:
            os.close(lock_file)  # releases the flock
            _this_process.release()
