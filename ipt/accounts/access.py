"""The only road to care teams: every query starts from what the acting user may see.

"Missing" and "not yours" give the same answer (Http404). Admins manage accounts and see no
clinical content, so they get no care team at all.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from ipt.accounts.models import CareTeam, Role, User
from ipt.lib.prepared import first_instance


def _all_teams() -> QuerySet[CareTeam]:
    return CareTeam.objects.select_related("patient", "therapist", "therapist__supervisor")


def care_teams_for(user: User) -> QuerySet[CareTeam]:
    teams = _all_teams()
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
    """A patient's own care team (None for staff, or a patient not yet linked); on most of a
    patient's pages, so compiled once."""
    if user.role != Role.PATIENT or not user.is_authenticated or not user.is_active:
        return None
    return first_instance(_own_care_team, user.pk)


def _own_care_team(patient_id) -> QuerySet[CareTeam]:
    return _all_teams().filter(patient=patient_id)[:1]


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
