from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from ipt import views
from ipt.accounts import views as accounts
from ipt.api import api
from ipt.audit import views as audit


def _public(view):
    return login_not_required(view)


password_reset = [
    path(
        "password-reset/",
        _public(
            auth_views.PasswordResetView.as_view(
                template_name="accounts/password_reset.html",
                email_template_name="accounts/email/password_reset.txt",
                subject_template_name="accounts/email/password_reset_subject.txt",
            )
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        _public(auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        _public(
            auth_views.PasswordResetConfirmView.as_view(template_name="accounts/password_reset_confirm.html")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        _public(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="accounts/password_reset_complete.html"
            )
        ),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("crisis/", views.crisis, name="crisis"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("mfa/enrol/", accounts.mfa_enrol, name="mfa_enrol"),
    path("mfa/verify/", accounts.mfa_verify, name="mfa_verify"),
    path("session/status", accounts.session_status, name="session_status"),
    path("session/keepalive", accounts.session_keepalive, name="session_keepalive"),
    path("invitation/<str:token>/", accounts.accept_invitation, name="accept_invitation"),
    path("patients/invite/", accounts.invite_patient, name="invite_patient"),
    path("patients/<uuid:care_team_id>/", accounts.patient_detail, name="patient_detail"),
    path("users/", accounts.user_list, name="user_list"),
    path("users/invite/", accounts.invite_staff, name="invite_staff"),
    path("users/<uuid:user_id>/", accounts.user_detail, name="user_detail"),
    path("audit/", audit.audit_search, name="audit_search"),
    path("api/v1/", api.urls),
    path("", include("ipt.care.urls")),
    path("", include("ipt.visits.urls")),
    path("", include("ipt.measures.urls")),
    path("", include("ipt.safety.urls")),
    path("", include("ipt.scheduling.urls")),
    path("", include("ipt.telehealth.urls")),
    path("", include("ipt.practice.urls")),
    path("", include("ipt.messaging.urls")),
    path("", include("ipt.interop.urls")),
    path("", include("ipt.breakglass.urls")),
    *password_reset,
]

if settings.IPT_BENCH_HELLO:
    # make bench's baseline; first, so that resolving it costs as little as a route can.
    urlpatterns.insert(0, path("bench/hello", views.bench_hello, name="bench_hello"))
