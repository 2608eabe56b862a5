"""API authentication: session cookie (with MFA for staff) or a bearer token."""

from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from ipt.accounts.actions import token_digest
from ipt.accounts.models import ApiToken


class SessionAuth(APIKeyCookie):
    """The browser's session; unsafe methods need the CSRF token, staff need a verified session."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = request.user
        if not user.is_authenticated:
            return None
        if user.is_staff_role and not user.is_verified():
            return None
        return user


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        if not token.startswith("ipt_"):
            return None
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if api_token is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


api_auth = [BearerTokenAuth(), SessionAuth()]
