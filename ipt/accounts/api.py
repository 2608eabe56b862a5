from uuid import UUID

from django.core.exceptions import PermissionDenied
from ninja import Router

from ipt.accounts import access
from ipt.accounts.models import Role
from ipt.accounts.schemas import CareTeamOut, CareTeamSummaryOut, MeOut
from ipt.audit.actions import record

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="Who am I (any signed-in user)")
def me(request):
    user = request.auth
    team = access.get_own_care_team(user)
    return MeOut(
        id=user.id,
        email=user.email,
        role=user.role,
        first_name=user.first_name,
        last_name=user.last_name,
        therapist_id=team.therapist_id if team else None,
    )


@router.get(
    "/patients",
    response=list[CareTeamSummaryOut],
    summary="The caseload the caller may see (therapist: own; supervisor: supervisees'; patient: self)",
)
def list_patients(request):
    teams = list(access.care_teams_for(request.auth))
    record(actor=request.auth, action="caseload.read", request=request, detail={"count": len(teams)})
    return teams


@router.get(
    "/patients/{care_team_id}",
    response=CareTeamOut,
    summary="One patient's care team and referral reason (their therapist or supervisor)",
)
def get_patient(request, care_team_id: UUID):
    if request.auth.role not in (Role.THERAPIST, Role.SUPERVISOR):
        raise PermissionDenied("Only the patient's therapist and supervisor read the referral.")
    team = access.get_care_team_for(request.auth, care_team_id)
    record(actor=request.auth, action="patient.read", target=team, patient=team.patient, request=request)
    return team
