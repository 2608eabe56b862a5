"""Sign-in, MFA, invitations, landing pages and account management."""

from base64 import b32encode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts import access, actions, caseload, sessions
from ipt.accounts.decorators import role_required
from ipt.accounts.forms import (
    ActiveForm,
    InvitePatientForm,
    InviteStaffForm,
    LoginForm,
    RoleForm,
    SetPasswordWithTermsForm,
    TokenForm,
)
from ipt.accounts.mfa import qr_code_svg
from ipt.accounts.models import Role
from ipt.audit.actions import record
from ipt.care import access as care_access
from ipt.care.checklist import session_position
from ipt.lib.forms import posted
from ipt.measures import access as measures_access
from ipt.scheduling import access as scheduling_access
from ipt.telehealth import access as telehealth_access
from ipt.visits import access as visits_access

LOGIN_FAILED = "Email or password is incorrect, or the account is locked. Please try again."


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("home")
    form = LoginForm(posted(request))
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"].lower(),
            password=form.cleaned_data["password"],
        )
        if user is not None:
            login(request, user)
            sessions.start(request.session)
            return redirect(_safe_next(request) or "home")
        form.add_error(None, LOGIN_FAILED)
    return render(request, "accounts/login.html", {"form": form}, status=400 if form.errors else 200)


def _safe_next(request) -> str | None:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


@login_not_required
def locked_out(request, credentials=None, *args, **kwargs):
    """Axes calls this after too many failures; the page must not say whether the account exists."""
    form = LoginForm(posted(request))
    form.is_valid()
    form.add_error(None, LOGIN_FAILED)
    return render(request, "accounts/login.html", {"form": form}, status=429)


@login_not_required
@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("login")


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN)
def mfa_enrol(request):
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("mfa_verify")
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = TokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        error = _check_code(device, form.cleaned_data["otp_token"])
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session.cycle_key()
            record(actor=request.user, action="mfa.enrol", target=device, request=request)
            messages.success(request, "Two-step sign-in is set up.")
            return redirect("home")
        form.add_error("otp_token", error)
    context = {"form": form, "qr_svg": qr_code_svg(device.config_url), "secret": _base32(device)}
    return render(request, "accounts/mfa_enrol.html", context, status=400 if form.errors else 200)


def _check_code(device: TOTPDevice, token: str) -> str | None:
    """None when the code is right; otherwise what to tell the person.

    django-otp rejects a code from a time step already used (no replay) and slows down
    guessing: after each failure the next try must wait longer.
    """
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return "Too many wrong codes. Wait a few seconds, then try the newest code."
    if device.verify_token(token):
        return None
    return "That code did not match or was already used. Wait for a new code and try again."


def _base32(device) -> str:
    return b32encode(device.bin_key).decode()


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN)
def mfa_verify(request):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("mfa_enrol")
    if request.user.is_verified():
        return redirect("home")
    form = TokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        error = _check_code(device, form.cleaned_data["otp_token"])
        if error is None:
            otp_login(request, device)
            request.session.cycle_key()
            record(actor=request.user, action="mfa.success", request=request)
            return redirect(_safe_next(request) or "home")
        record(actor=request.user, action="mfa.failure", request=request)
        form.add_error("otp_token", error)
    return render(request, "accounts/mfa_verify.html", {"form": form}, status=400 if form.errors else 200)


@login_not_required
@require_GET
def session_status(request):
    """Seconds until logoff, read by the page's warning script without extending the session."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False, "seconds_left": 0})
    left = sessions.seconds_left(request.session, request.user)
    return JsonResponse({"authenticated": True, "seconds_left": left})


@require_POST
def session_keepalive(request):
    sessions.touch(request.session, force=True)
    left = sessions.seconds_left(request.session, request.user)
    return JsonResponse({"authenticated": True, "seconds_left": left})


@login_not_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token: str):
    invitation = actions.find_open_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordWithTermsForm(invitation.user, posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.accept_invitation(
                invitation=invitation, password=form.cleaned_data["password1"], request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="ipt.accounts.backends.UserBackend")
            sessions.start(request.session)
            messages.success(request, "Welcome to IPT Online. Your account is ready.")
            return redirect("home")
    context = {"form": form, "invitation": invitation}
    return render(request, "accounts/accept_invitation.html", context, status=400 if form.errors else 200)


@require_GET
def home(request):
    role = request.user.role
    if role == Role.THERAPIST:
        return _therapist_home(request)
    if role == Role.SUPERVISOR:
        return _supervisor_home(request)
    if role == Role.ADMIN:
        return redirect("user_list")
    return _patient_home(request)


def _therapist_home(request):
    page = caseload.caseload_page(request.user)
    record(actor=request.user, action="caseload.read", request=request, detail={"count": page.count})
    context = {"caseload": page, "open_alert_count": page.open_alerts}
    return render(request, "accounts/therapist_home.html", context)


def _supervisor_home(request):
    therapists = access.supervisees_for(request.user).annotate(patient_count=Count("caseload"))
    teams = list(access.care_teams_for(request.user))
    record(actor=request.user, action="caseload.read", request=request, detail={"count": len(teams)})
    return render(request, "accounts/supervisor_home.html", {"therapists": therapists, "teams": teams})


def _patient_home(request):
    team = access.get_own_care_team(request.user)
    course, held, todos, due_questionnaires, next_appointment = None, 0, [], [], None
    if team is not None:
        record(
            actor=request.user, action="patient.home.read", target=team, patient=request.user, request=request
        )
        course = care_access.current_course_of_patient(request.user)
        if course is not None:
            held, _ = session_position(course)
            todos = visits_access.open_todos_for_patient(request.user, course)
            due_questionnaires = measures_access.due_questionnaires(course)
        next_appointment = scheduling_access.next_appointment_for(request.user)
        if next_appointment is not None:
            next_appointment.join_url = telehealth_access.join_url_for(request.user, next_appointment)
    context = {
        "next_appointment": next_appointment,
        "call_opens_minutes": settings.IPT_CALL_OPENS_MINUTES_BEFORE,
        "zone": request.user.time_zone,
        "team": team,
        "course": course,
        "held": held,
        "todos": todos,
        "due_questionnaires": due_questionnaires,
    }
    return render(request, "accounts/patient_home.html", context)


@require_GET
@role_required(Role.THERAPIST, Role.SUPERVISOR)
def patient_detail(request, care_team_id):
    team = access.get_care_team_for(request.user, care_team_id)
    record(actor=request.user, action="patient.read", target=team, patient=team.patient, request=request)
    return render(request, "accounts/patient_detail.html", {"team": team})


@require_http_methods(["GET", "POST"])
@role_required(Role.THERAPIST)
def invite_patient(request):
    form = InvitePatientForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            actions.invite_patient(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("home")
    return render(request, "accounts/invite_patient.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@role_required(Role.ADMIN)
def user_list(request):
    users = access.manageable_users_for(request.user).select_related("supervisor")
    role = request.GET.get("role", "")
    if role in Role.values:
        users = users.filter(role=role)
    return render(request, "accounts/user_list.html", {"users": users, "roles": Role.choices, "role": role})


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def user_detail(request, user_id):
    account = access.get_manageable_user_for(request.user, user_id)
    role_form = RoleForm(initial={"role": account.role}, prefix="role")
    active_form = ActiveForm(initial={"active": "1" if account.is_active else "0"}, prefix="active")
    if request.method == "POST":
        try:
            if "role-role" in request.POST:
                role_form = RoleForm(request.POST, prefix="role")
                if role_form.is_valid():
                    actions.change_role(
                        actor=request.user, user=account, role=role_form.cleaned_data["role"], request=request
                    )
                    messages.success(request, "Role changed.")
                    return redirect("user_detail", user_id=account.pk)
            else:
                active_form = ActiveForm(request.POST, prefix="active")
                if active_form.is_valid():
                    actions.set_active(
                        actor=request.user,
                        user=account,
                        active=active_form.cleaned_data["active"],
                        request=request,
                    )
                    messages.success(request, "Account updated.")
                    return redirect("user_detail", user_id=account.pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    context = {"account": account, "role_form": role_form, "active_form": active_form}
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "accounts/user_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def invite_staff(request):
    form = InviteStaffForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            actions.invite_staff(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("user_list")
    return render(request, "accounts/invite_staff.html", {"form": form}, status=400 if form.errors else 200)
