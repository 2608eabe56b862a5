"""The private calendar feed: its settings page and the feed itself.

The settings page creates the link when the user asks for it (a POST: a GET never writes) and
replaces it on request.

Who may use what: the settings page is for any signed-in user (patients and therapists get a feed
of their own appointments; supervisors and admins are told there is nothing to subscribe to). The
feed is public: calendar apps cannot sign in, so the unguessable token in the URL is the
credential. It is looked up by its SHA-256 and compared in constant time; replacing it makes the
old URL a 404 at once. The feed holds session times and "Session with <name>", nothing clinical.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_http_methods, require_safe

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role, User
from ipt.audit.actions import record
from ipt.scheduling import ical
from ipt.scheduling.models import CalendarFeed

FEED_ROLES = (Role.PATIENT, Role.THERAPIST)
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def create_feed(user: User, request=None) -> CalendarFeed:
    """The user's feed, created if they have none yet (a second click finds the first one)."""
    token, hashed = _new_token()
    with transaction.atomic():
        feed, created = CalendarFeed.objects.get_or_create(
            user=user, defaults={"token": token, "token_hash": hashed}
        )
        if created:
            record(actor=user, action="calendar.feed_created", target=feed, request=request)
    return feed


def replace_token(user: User, request=None) -> CalendarFeed:
    """A new URL for the user's feed; the old one stops working at once."""
    token, hashed = _new_token()
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            feed = CalendarFeed.objects.create(user=user, token=token, token_hash=hashed)
        else:
            feed.token, feed.token_hash, feed.created_at = token, hashed, timezone.now()
            feed.save(update_fields=["token", "token_hash", "created_at"])
        record(actor=user, action="calendar.feed_replaced", target=feed, request=request)
    return feed


def feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + reverse("calendar_feed", args=[feed.token])


@role_required(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_settings(request):
    user = request.user
    if user.role not in FEED_ROLES:
        return render(request, "scheduling/calendar_settings.html", {"can_subscribe": False})
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            create_feed(user, request=request)
            messages.success(request, "Your calendar link is ready. Add it to your calendar app.")
        elif action == "replace":
            replace_token(user, request=request)
            messages.success(request, "Your calendar link has been replaced. The old link no longer works.")
        else:
            messages.error(request, "Nothing was changed.")
        return redirect("calendar_settings")
    feed = CalendarFeed.objects.filter(user=user).first()
    context: dict = {"can_subscribe": True, "feed": feed}
    if feed is not None:
        url = feed_url(feed)
        context.update(feed_url=url, webcal_url="webcal://" + url.split("://", 1)[1])
    return render(request, "scheduling/calendar_settings.html", context)


@require_safe
def calendar_feed(request, token: str):
    """Public (see the module docstring)."""
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    if feed is None or not constant_time_compare(feed.token, token):
        raise Http404("No such calendar.")
    user = feed.user
    if not user.is_active or user.role not in FEED_ROLES:
        raise Http404("No such calendar.")
    body = ical.feed_calendar(user)
    # The patient's own session times are part of their record; a therapist's feed spans patients.
    patient = user if user.role == Role.PATIENT else None
    record(actor=user, action="calendar.feed_read", target=feed, patient=patient, request=request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ipt-online.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
