"""Django's model backend with the signed-in user read with the session (ipt.accounts.session_store)
or else by one written-out query (ipt.lib.rows)."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from ipt.accounts.models import User
from ipt.accounts.session_store import user_read_with_session
from ipt.lib.rows import db_key, one_row


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            key = db_key(User, user_id)
        except (TypeError, ValueError, ValidationError):  # a session that names no valid id
            return None
        user = user_read_with_session(user_id) or one_row(User, "id = %s", [key])
        return user if user is not None and self.user_can_authenticate(user) else None
