"""Session limits and the MFA gate for staff."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts import session_store, sessions
from ipt.lib.rows import one_row

# Requests that are not activity: a status poll, a calendar app fetching the private feed.
PASSIVE_PATHS = ("/session/status", "/calendar/feed/")


class SessionTimeoutMiddleware:
    """Sign out after the idle limit (15 min staff, 30 min patients) or 12 hours in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user = _unwrapped(request.user)
        if user.is_authenticated:
            reason = sessions.expiry_reason(request.session, user)
            if reason:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, _signed_out_message(reason))
            elif not request.path.startswith(PASSIVE_PATHS):
                sessions.touch(request.session)
        return self.get_response(request)


def _unwrapped(user):
    """The user itself, read now, instead of the lazy proxies that auth and django-otp put around
    it (one inside the other): every attribute a view or template read went through both, a few
    hundred times a page."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def _signed_out_message(reason: str) -> str:
    if reason == "absolute":
        return "You were signed out because sessions last at most 12 hours. Please sign in again."
    return "You were signed out after a period without activity. Please sign in again."


MFA_EXEMPT_PREFIXES = (
    "/mfa/",
    "/logout/",
    "/static/",
    "/healthz",
    "/crisis/",
    "/api/",
    "/session/",
    "/calendar/feed/",  # its token is the credential
)


class RequireMFAMiddleware:
    """Staff who signed in with a password reach nothing but MFA until they pass a TOTP check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff_role
            and not user.is_verified()
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
        ):
            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            return redirect(reverse("mfa_verify" if has_device else "mfa_enrol"))
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Pages need login unless marked public; the API answers 401 itself (it accepts tokens)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's middleware with the session's TOTP device read with the session
    (ipt.accounts.session_store) or else by one written-out query (ipt.lib.rows). django-otp still
    checks the device's owner and confirmation."""

    def _device_from_persistent_id(self, persistent_id: str):
        device_id = session_store.totp_device_id(persistent_id)
        if device_id is None:
            return super()._device_from_persistent_id(persistent_id)
        return session_store.device_read_with_session(device_id) or one_row(
            TOTPDevice, "id = %s", [device_id]
        )
