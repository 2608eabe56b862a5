"""Django's database sessions, loaded by one written-out read (ipt.lib.rows: every request)."""

from django.contrib.sessions.backends import db
from django.utils import timezone

from ipt.lib.rows import db_datetime, one_row


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = one_row(
            self.model,
            "session_key = %s AND expire_date > %s",
            [self.session_key, db_datetime(timezone.now())],
        )
        if session is None:
            self._session_key = None
        return session
