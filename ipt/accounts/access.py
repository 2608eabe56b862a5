"""The only road to care teams: every query starts from what the acting user may see.

"Missing" and "not yours" give the same answer (Http404). Admins manage accounts and see no
clinical content, so they get no care team at all.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from ipt.accounts.models import CareTeam, Role, User


def care_teams_for(user: User) -> QuerySet[CareTeam]:
    teams = CareTeam.objects.select_related("patient", "therapist", "therapist__supervisor")
    if not user.is_authenticated or not user.is_active:
        return teams.none()
    if user.role == Role.PATIENT:
        return teams.filter(patient=user)
    if user.role == Role.THERAPIST:
        return teams.filter(therapist=user)
    if user.role == Role.SUPERVISOR:
        return teams.filter(therapist__supervisor=user)
    return teams.none()


def get_care_team_for(user: User, care_team_id) -> CareTeam:
    try:
        return care_teams_for(user).get(pk=care_team_id)
    except (CareTeam.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such patient.") from None


def get_own_care_team(user: User) -> CareTeam | None:
    """A patient's own care team (None for staff, or a patient not yet linked)."""
    if user.role != Role.PATIENT:
        return None
    return care_teams_for(user).first()


def supervisees_for(user: User) -> QuerySet[User]:
    if user.role != Role.SUPERVISOR:
        return User.objects.none()
    return User.objects.filter(supervisor=user, role=Role.THERAPIST)


def manageable_users_for(user: User) -> QuerySet[User]:
    """Accounts an admin may manage (names, roles, status; never clinical content)."""
    if not user.is_authenticated or user.role != Role.ADMIN:
        return User.objects.none()
    return User.objects.all()


def get_manageable_user_for(user: User, user_id) -> User:
    try:
        return manageable_users_for(user).get(pk=user_id)
    except (User.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such account.") from None
