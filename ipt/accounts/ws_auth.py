"""Websocket authentication: the session of the cookie, or a bearer token for non-browser clients."""

from importlib import import_module

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from ipt.accounts.actions import token_digest
from ipt.accounts.models import ApiToken


def token_is_live(token_hash: str) -> bool:
    """Checked again while a socket is open, so revoking a token closes its sockets."""
    return ApiToken.objects.filter(
        token_hash=token_hash, revoked_at__isnull=True, user__is_active=True
    ).exists()


@database_sync_to_async
def _user_for_token(token: str):
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return api_token.user if api_token else AnonymousUser()


class BearerTokenMiddleware:
    """Use an ``Authorization: Bearer`` header when present; otherwise the session decides."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
            scope = dict(
                scope, user=await _user_for_token(token), auth_kind="token", token_hash=token_digest(token)
            )
        return await self.inner(scope, receive, send)


class WebsocketSessionMiddleware:
    """``scope["session"]``: the session of the cookie, read-only (inside CookieMiddleware).

    Channels' SessionMiddleware wraps every message the socket sends to save a changed session
    on an HTTP response; a socket never changes its session, and that check on every frame cost
    a few per cent of the relay's CPU (P5). Reading the session, and who it signs in, is the same.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if "session" not in scope:
            store = import_module(settings.SESSION_ENGINE).SessionStore
            scope = dict(scope, session=store(scope["cookies"].get(settings.SESSION_COOKIE_NAME)))
        return await self.inner(scope, receive, send)
