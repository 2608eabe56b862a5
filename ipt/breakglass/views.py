"""Emergency access pages: open a grant (two steps), read the summary under it, review grants.

Who may use each: opening and reading, therapists and supervisors (signed in with TOTP) for
patients not on their own care teams; the review list, supervisors (with the reasons, and they
mark grants reviewed) and admins (who, when, which patient; no reasons, no marking).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.breakglass import access, actions
from ipt.breakglass.forms import ConfirmForm, EmergencyAccessForm, ReviewForm
from ipt.lib.forms import posted

UNKNOWN_PATIENT = (
    "No patient has this email address. Check it with whoever told you about the emergency: it must "
    "match the patient's account exactly."
)
OWN_CASELOAD = "This patient is already on your caseload: open their record from your home page instead."
REVIEW_LIST_LIMIT = 200


def _require_verified(request) -> None:
    """Staff reach pages only after TOTP (middleware); checked here again for this sensitive road."""
    is_verified = getattr(request.user, "is_verified", None)
    if is_verified is None or not is_verified():
        raise PermissionDenied("Sign in with your authenticator code first.")


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def open_access(request):
    _require_verified(request)
    user = request.user
    form = EmergencyAccessForm(posted(request))
    confirming = request.POST.get("step") == "confirm"
    confirm_form = ConfirmForm(request.POST if confirming else None)
    if request.method == "POST" and form.is_valid():
        team = access.patient_team_by_email(form.cleaned_data["email"])
        if team is None:
            actions.record_refusal(actor=user, why="unknown_patient", request=request)
            form.add_error("email", UNKNOWN_PATIENT)
        elif access.is_on_care_team(user, team):
            actions.record_refusal(actor=user, why="own_caseload", team=team, request=request)
            form.add_error("email", OWN_CASELOAD)
        elif not confirming or not confirm_form.is_valid():
            context = {"form": form, "confirm_form": confirm_form, "minutes": access.grant_minutes()}
            return render(request, "breakglass/confirm.html", context, status=400 if confirming else 200)
        else:
            try:
                grant = actions.open_grant(
                    actor=user, care_team=team, reason=form.cleaned_data["reason"], request=request
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.warning(request, "Emergency access is open. Every page you read here is logged.")
                return redirect("break_glass_summary", grant.pk)
    active_grants = list(access.active_own_grants(user))
    if request.method == "GET":
        # Even looking at this page is kept: it lists the patients of the user's open grants.
        record(
            actor=user,
            action="break_glass.page.read",
            request=request,
            detail={"open_grants": len(active_grants)},
        )
    context = {
        "form": form,
        "minutes": access.grant_minutes(),
        "active_grants": active_grants,
        "awaiting_review": access.awaiting_review_count(user) if user.role == Role.SUPERVISOR else 0,
    }
    return render(request, "breakglass/open.html", context, status=400 if form.errors else 200)


@never_cache
@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def summary(request, grant_id):
    _require_verified(request)
    grant = access.get_own_grant(request.user, grant_id)
    team = grant.care_team
    if not grant.is_active():
        record(
            actor=request.user,
            action="break_glass.read_after_expiry",
            target=grant,
            patient=team.patient,
            request=request,
        )
        return render(request, "breakglass/ended.html", {"grant": grant}, status=410)
    emergency = access.emergency_summary(grant)
    actions.record_read(actor=request.user, grant=grant, request=request)
    return render(request, "breakglass/summary.html", {"grant": grant, "summary": emergency})


@require_GET
@role_required(Role.SUPERVISOR, Role.ADMIN)
def review_list(request):
    _require_verified(request)
    return _review_page(request)


@require_POST
@role_required(Role.SUPERVISOR)
def review(request, grant_id):
    _require_verified(request)
    grant = access.get_grant_to_review_for(request.user, grant_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            actions.review_grant(
                actor=request.user, grant=grant, comment=form.cleaned_data["comment"], request=request
            )
        except ValidationError as error:
            # Shown at the top too: a grant already reviewed is no longer in the list with its form.
            messages.error(request, " ".join(error.messages))
            form.add_error(None, error)
        else:
            messages.success(request, "Marked reviewed.")
            return redirect("break_glass_reviews")
    return _review_page(request, failed=(str(grant.pk), form), status=400)


def _review_page(request, failed=None, status=200):
    grants = access.grants_to_review_for(request.user)
    awaiting = list(grants.filter(reviewed_at__isnull=True).order_by("opened_at")[:REVIEW_LIST_LIMIT])
    reviewed = list(grants.filter(reviewed_at__isnull=False).order_by("-reviewed_at")[:50])
    reads = access.read_counts([*awaiting, *reviewed])
    now = timezone.now()
    for grant in [*awaiting, *reviewed]:
        grant.reads = reads.get(str(grant.pk), 0)
        grant.still_open = grant.is_active(now)
        grant.form = failed[1] if failed and failed[0] == str(grant.pk) else ReviewForm()
    record(
        actor=request.user,
        action="break_glass.review_list.read",
        request=request,
        detail={"awaiting": len(awaiting), "reviewed": len(reviewed)},
    )
    context = {
        "awaiting": awaiting,
        "reviewed": reviewed,
        # Admins see who, when and which patient; the reason and comment may be clinical.
        "show_reasons": request.user.role == Role.SUPERVISOR,
    }
    return render(request, "breakglass/review.html", context, status=status)
