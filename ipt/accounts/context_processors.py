from django.conf import settings

from ipt.accounts import sessions


def session_limits(request):
    """Numbers the logoff-warning script reads from data attributes on <body>."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "session_idle_seconds": int(sessions.idle_limit(user).total_seconds()),
        "session_warning_seconds": int(settings.IDLE_WARNING_BEFORE.total_seconds()),
    }
