"""The only road to care teams: every query starts from what the acting user may see.

"Missing" and "not yours" give the same answer (Http404). Admins manage accounts and see no
clinical content, so they get no care team at all.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from ipt.accounts.models import CareTeam, Role, User
from ipt.lib.prepared import first_instance


# Whose care teams each role sees, by the user's id: the one definition, also the building block of
# the queries compiled once per role (ipt.lib.prepared), which take ids, not users.
def teams_of_patient(user_id) -> QuerySet[CareTeam]:
    return CareTeam.objects.filter(patient=user_id)


def teams_of_therapist(user_id) -> QuerySet[CareTeam]:
    return CareTeam.objects.filter(therapist=user_id)


def teams_of_supervisor(user_id) -> QuerySet[CareTeam]:
    return CareTeam.objects.filter(therapist__supervisor=user_id)


TEAM_PEOPLE = ("patient", "therapist", "therapist__supervisor")
TEAMS_OF_ROLE: dict[str, Callable[[object], QuerySet[CareTeam]]] = {
    Role.PATIENT: teams_of_patient,
    Role.THERAPIST: teams_of_therapist,
    Role.SUPERVISOR: teams_of_supervisor,
}


def care_teams_for(user: User) -> QuerySet[CareTeam]:
    teams_of = TEAMS_OF_ROLE.get(user.role) if user.is_authenticated and user.is_active else None
    if teams_of is None:
        return CareTeam.objects.none()
    return teams_of(user.pk).select_related(*TEAM_PEOPLE)


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
    return teams_of_patient(patient_id).select_related(*TEAM_PEOPLE)[:1]


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
