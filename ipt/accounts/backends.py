"""Django's model backend with the signed-in user read by one written-out query (ipt.lib.rows)."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from ipt.accounts.models import User
from ipt.lib.rows import db_key, one_row


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            key = db_key(User, user_id)
        except (TypeError, ValueError, ValidationError):  # a session that names no valid id
            return None
        user = one_row(User, "id = %s", [key])
        return user if user is not None and self.user_can_authenticate(user) else None
