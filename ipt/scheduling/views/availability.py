"""The therapist's availability page: booking rules, time zone, weekly hours and exceptions.

Therapists only, and only their own: every row is looked up through ``request.user``. The page
ends with a preview of the next seven days of open slots as the therapist can book them.
"""

from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.scheduling import access
from ipt.scheduling.forms import ExceptionForm, ProfileForm, WeeklyHoursForm
from ipt.scheduling.models import AvailabilityException, TherapistProfile, Weekday, WeeklyHours
from ipt.scheduling.slots import open_slots, zone_of

PREVIEW_DAYS = 7


def _audit(request, target, change: str) -> None:
    record(
        actor=request.user,
        action="availability.change",
        target=target,
        request=request,
        detail={"change": change},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST)
def availability(request):
    therapist = request.user
    # Read without creating: the row is written when the therapist first saves (a GET writes nothing).
    profile = TherapistProfile.objects.filter(therapist=therapist).first() or TherapistProfile(
        therapist=therapist
    )
    profile_form = ProfileForm(instance=profile, initial={"time_zone": therapist.time_zone})
    hours_form = WeeklyHoursForm(therapist=therapist)
    exception_form = ExceptionForm(therapist=therapist)
    status = 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step == "profile":
            profile_form = ProfileForm(request.POST, instance=profile)
            if profile_form.is_valid():
                with transaction.atomic():
                    profile_form.save()
                    therapist.time_zone = profile_form.cleaned_data["time_zone"]
                    therapist.save(update_fields=["time_zone"])
                    _audit(request, profile, "profile")
                messages.success(request, "Your booking rules are saved.")
                return redirect("availability")
            status = 400
        elif step == "add_hours":
            hours_form = WeeklyHoursForm(request.POST, therapist=therapist)
            if hours_form.is_valid():
                with transaction.atomic():
                    access.profile_of(therapist)  # working time needs booking rules (the defaults)
                    block = WeeklyHours.objects.create(therapist=therapist, **hours_form.cleaned_data)
                    _audit(request, block, "weekly_hours.add")
                messages.success(request, f"Added {block}.")
                return redirect("availability")
            status = 400
        elif step == "remove_hours":
            block = WeeklyHours.objects.filter(therapist=therapist, pk=_int(request.POST.get("id"))).first()
            if block is None:
                messages.error(request, "That block of hours no longer exists.")
            else:
                with transaction.atomic():
                    _audit(request, block, "weekly_hours.remove")
                    block.delete()
                messages.success(request, f"Removed {block}.")
            return redirect("availability")
        elif step == "add_exception":
            exception_form = ExceptionForm(request.POST, therapist=therapist)
            if exception_form.is_valid():
                data = exception_form.cleaned_data
                with transaction.atomic():
                    access.profile_of(therapist)
                    exception = AvailabilityException.objects.create(therapist=therapist, **data)
                    _audit(request, exception, "exception.add")
                messages.success(request, f"Saved the change for {exception.date:%-d %b %Y}.")
                return redirect("availability")
            status = 400
        elif step == "remove_exception":
            exception = AvailabilityException.objects.filter(
                therapist=therapist, pk=_int(request.POST.get("id"))
            ).first()
            if exception is None:
                messages.error(request, "That exception no longer exists.")
            else:
                with transaction.atomic():
                    _audit(request, exception, "exception.remove")
                    exception.delete()
                messages.success(request, f"Removed the change for {exception.date:%-d %b %Y}.")
            return redirect("availability")
        else:
            messages.error(request, "Nothing was changed: the form was not recognised.")
            return redirect("availability")

    zone = zone_of(therapist)
    today = timezone.localdate(timezone.now(), zone)
    blocks_by_day: dict[int, list[WeeklyHours]] = defaultdict(list)
    for block in WeeklyHours.objects.filter(therapist=therapist):
        blocks_by_day[block.weekday].append(block)
    context = {
        "zone": zone.key,
        "profile_form": profile_form,
        "hours_form": hours_form,
        "exception_form": exception_form,
        "week": [(label, blocks_by_day.get(value, [])) for value, label in Weekday.choices],
        "exceptions": list(AvailabilityException.objects.filter(therapist=therapist, date__gte=today)),
        "preview": _preview(therapist, zone),
    }
    return render(request, "scheduling/availability.html", context, status=status)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _preview(therapist, zone) -> list[tuple]:
    """The next seven days (in the therapist's zone) with the slots the therapist can book."""
    now = timezone.now()
    first_day = timezone.localdate(now, zone)
    days = [first_day + timedelta(days=offset) for offset in range(PREVIEW_DAYS)]
    has_working_time = (
        WeeklyHours.objects.filter(therapist=therapist).exists()
        or AvailabilityException.objects.filter(
            therapist=therapist, is_available=True, date__gte=first_day
        ).exists()
    )
    if not has_working_time:
        return [(day, []) for day in days]
    slots = open_slots(therapist, now, now + timedelta(days=PREVIEW_DAYS), now=now, for_patient=False)
    by_day: dict = defaultdict(list)
    for slot in slots:
        by_day[timezone.localtime(slot.start, zone).date()].append(slot)
    return [(day, by_day.get(day, [])) for day in days]
