"""Idle and absolute session limits, shared by HTTP middleware and websocket consumers."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

STARTED_KEY = "ipt_started"
LAST_SEEN_KEY = "ipt_last_seen"
# Writing the session on every request costs a query; a little slack is enough.
TOUCH_INTERVAL = timedelta(seconds=30)


def idle_limit(user) -> timedelta:
    if user.is_staff_role:
        return settings.IDLE_LOGOFF_STAFF
    return settings.IDLE_LOGOFF_PATIENT


def _read(session, key: str) -> datetime | None:
    value = session.get(key)
    return datetime.fromisoformat(value) if value else None


def start(session) -> None:
    now = timezone.now().isoformat()
    session[STARTED_KEY] = now
    session[LAST_SEEN_KEY] = now


def expiry_reason(session, user, now: datetime | None = None) -> str | None:
    """Why this session has ended ("idle" or "absolute"), or None while it is live."""
    now = now or timezone.now()
    started, last_seen = _read(session, STARTED_KEY), _read(session, LAST_SEEN_KEY)
    if started is None or last_seen is None:
        return None
    if now - started >= settings.ABSOLUTE_LOGOFF:
        return "absolute"
    if now - last_seen >= idle_limit(user):
        return "idle"
    return None


def seconds_left(session, user, now: datetime | None = None) -> int:
    now = now or timezone.now()
    started, last_seen = _read(session, STARTED_KEY), _read(session, LAST_SEEN_KEY)
    if started is None or last_seen is None:
        return int(idle_limit(user).total_seconds())
    deadline = min(started + settings.ABSOLUTE_LOGOFF, last_seen + idle_limit(user))
    return max(0, int((deadline - now).total_seconds()))


def touch(session, now: datetime | None = None, force: bool = False) -> None:
    now = now or timezone.now()
    if STARTED_KEY not in session:
        start(session)
        return
    last_seen = _read(session, LAST_SEEN_KEY)
    if force or last_seen is None or now - last_seen >= TOUCH_INTERVAL:
        session[LAST_SEEN_KEY] = now.isoformat()
