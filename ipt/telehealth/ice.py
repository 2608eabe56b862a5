"""ICE servers for a video call: STUN, and TURN with coturn's time-limited REST credentials.

coturn (``use-auth-secret`` + ``static-auth-secret``) accepts a username "<unix expiry>:<anything>"
whose password is base64(HMAC-SHA1(secret, username)); it refuses it after the expiry.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings


def turn_credentials(secret: str, user_id, expires_at: int) -> tuple[str, str]:
    username = f"{expires_at}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(user, now: float | None = None) -> list[dict]:
    """RTCIceServer dicts for the user's RTCPeerConnection (empty: host candidates only)."""
    servers: list[dict] = []
    if settings.IPT_STUN_URLS:
        servers.append({"urls": list(settings.IPT_STUN_URLS)})
    if settings.IPT_TURN_URLS and settings.IPT_TURN_SECRET:
        expires_at = int(time.time() if now is None else now) + int(settings.IPT_TURN_TTL_SECONDS)
        username, credential = turn_credentials(settings.IPT_TURN_SECRET, user.pk, expires_at)
        servers.append({"urls": list(settings.IPT_TURN_URLS), "username": username, "credential": credential})
    return servers
