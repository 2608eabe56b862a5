"""Public pages that belong to no single app: health, crisis help and the benchmark's baseline."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ipt.safety.crisis import country_of_patient, crisis_context


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # a health check reports, it does not raise
        return f"error: {type(error).__name__}"


async def _round_trip(layer) -> dict:
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    return await layer.receive(channel)


def _check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "error: no channel layer"
    try:
        message = async_to_sync(asyncio.wait_for)(_round_trip(layer), timeout=2)
        return "ok" if message.get("type") == "health.ping" else "error: wrong reply"
    except Exception as error:
        return f"error: {type(error).__name__}"


@login_not_required
@require_GET
def healthz(request):
    checks = {"database": _check_database(), "channel_layer": _check_channel_layer()}
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return JsonResponse(body, status=200 if healthy else 503)


@login_not_required
@require_GET
def crisis(request):
    """Crisis lines for the country picked (GET ``country``, whitelisted by the table), or the
    country on a signed-in patient's safety plan, or the common ones."""
    country = request.GET.get("country") or country_of_patient(request.user)
    return render(request, "crisis.html", crisis_context(country, request.GET.get("region")))


@login_not_required
@require_GET
def bench_hello(request):
    """make bench's baseline: a bare view through the whole middleware stack (IPT_BENCH_HELLO only)."""
    return HttpResponse(b"hello", content_type="text/plain")
