"""Audit of logins and logouts (auth signals are the only hook Django offers for these)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from ipt.accounts.realtime import session_group
from ipt.audit.actions import record
from ipt.lib import live


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record(actor=user, action="login.success", request=request)


@receiver(user_login_failed)
def audit_login_failure(sender, credentials, request=None, **kwargs):
    # The attempted email is kept so that attacks on one account can be seen; no password.
    record(
        actor=None,
        action="login.failure",
        request=request,
        detail={"email": str(credentials.get("username", ""))[:254]},
    )


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action="logout", request=request)


@receiver(user_logged_out)
def close_websockets_of_session(sender, request, user, **kwargs):
    """Open websockets of this browser session close when the session ends."""
    session_key = request.session.session_key if request is not None else None
    if not session_key:
        return
    group = session_group(session_key)
    # A channel layer that is down loses the wake-up, not the logout (R5).
    transaction.on_commit(lambda: live.group_send(group, {"type": "session.ended"}))
