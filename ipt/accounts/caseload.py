"""The therapist's caseload page, rendered once per change instead of once per page view.

Building it reads every questionnaire score, session and alert of about fifty patients (P2/P3 of
docs/quality.md): most of the page's cost; the open alerts (the top bar's badge on every page) and
the notices of emergency access came next. The rendered table is cached under the therapist's
``CaseloadVersion``, which every save or delete of what the table shows moves on in the same
transaction (the receivers below), so a change is seen at once by every worker. A short expiry
bounds what only time changes (a questionnaire falling due).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Prefetch, Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from ipt.accounts import access
from ipt.accounts.models import CareTeam, CaseloadVersion, Role, User
from ipt.lib.fragments import cache_call
from ipt.lib.rows import db_key, one_row

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseloadPage:
    """What the therapist's home shows that their data decide: the table, the number of patients,
    the open alerts (also the top bar's badge) and the notices of emergency access."""

    table: SafeString
    count: int
    open_alerts: int
    notices: SafeString


def caseload_page(therapist: User) -> CaseloadPage:
    zones = f"{therapist.time_zone}:{timezone.get_current_timezone_name()}"
    key = f"caseload:{therapist.pk}:{_version(therapist)}:{zones}"
    cached = cache_call(cache.get, key)
    if cached is None:
        cached = _build(therapist)
        cache_call(cache.set, key, cached, settings.IPT_CASELOAD_CACHE_SECONDS)
    table, count, open_alerts, notices = cached
    # Rendered by our own autoescaping templates.
    return CaseloadPage(mark_safe(table), count, open_alerts, mark_safe(notices))  # noqa: S308


def open_alert_count(therapist: User) -> int:
    """The therapist's open alerts, counted once per change of their caseload (the top bar's badge)."""
    key = f"caseload-alerts:{therapist.pk}:{_version(therapist)}"
    count = cache_call(cache.get, key)
    if count is None:
        count = _open_alerts(therapist)
        cache_call(cache.set, key, count, settings.IPT_CASELOAD_CACHE_SECONDS)
    return count


def _version(therapist: User) -> int:
    # Read on every page a therapist opens (the badge): without the ORM's query building.
    row = one_row(CaseloadVersion, "therapist_id = %s", [db_key(User, therapist.pk)])
    if row is None:
        row, _ = CaseloadVersion.objects.get_or_create(therapist=therapist)
    return row.version


def _build(therapist: User) -> tuple[str, int, int, str]:
    from ipt.breakglass.access import notices_for_therapist

    caseload = _caseload(therapist)
    table = render_to_string("accounts/_caseload_table.html", {"caseload": caseload})
    notices = render_to_string(
        "breakglass/_home_notices.html",
        {"user": therapist, "notices": list(notices_for_therapist(therapist))},
    )
    return table, len(caseload), _open_alerts(therapist), notices


def _open_alerts(therapist: User) -> int:
    from ipt.safety.access import open_alerts_for

    return open_alerts_for(therapist).count()


def _caseload(therapist: User) -> list[CareTeam]:
    from ipt.care.models import TreatmentCourse
    from ipt.measures import access as measures_access
    from ipt.visits.models import EncounterStatus

    # Each patient's courses (newest first) with the sessions held, in one query for the caseload.
    held = Count("encounters", filter=Q(encounters__status=EncounterStatus.FINISHED))
    courses = Prefetch(
        "courses", queryset=TreatmentCourse.objects.annotate(sessions_held=held), to_attr="course_list"
    )
    caseload = list(access.care_teams_for(therapist).prefetch_related(courses))
    # Flags (open risk alert, not on track, overdue questionnaires) in a fixed number of queries;
    # patients with risk come first, then not on track, then overdue (a stable sort keeps the rest).
    flags = measures_access.caseload_flags(course.pk for team in caseload for course in team.course_list)
    for team in caseload:
        team.measure_flags = measures_access.CaseloadFlags.merge(
            flags[course.pk] for course in team.course_list
        )
    caseload.sort(key=lambda team: team.measure_flags.rank)
    return caseload


# What moves a caseload on ----------------------------------------------------------------------


def _bump(therapists) -> None:
    CaseloadVersion.objects.filter(therapist__in=therapists).update(version=F("version") + 1)


def _course_changed(sender, instance, **kwargs) -> None:
    _bump(User.objects.filter(caseload__courses=instance.course_id))


def _courses_changed(sender, instance, **kwargs) -> None:
    _bump(User.objects.filter(caseload=instance.care_team_id))


def _care_team_saving(sender, instance, **kwargs) -> None:
    """A patient moved to another therapist leaves the old caseload at once."""
    if instance.pk is not None:
        _bump(User.objects.filter(caseload=instance.pk))


def _grant_changed(sender, instance, **kwargs) -> None:
    """Emergency access to a patient is shown on their therapist's home."""
    _bump(User.objects.filter(caseload=instance.care_team_id))


def _care_team_changed(sender, instance, **kwargs) -> None:
    _bump([instance.therapist_id])


def _patient_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.role != Role.PATIENT:
        return
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a sign-in changes nothing the caseload shows
    _bump(User.objects.filter(caseload__patient=instance.pk))


def connect() -> None:
    from ipt.breakglass.models import BreakGlassGrant
    from ipt.care.models import TreatmentCourse
    from ipt.measures.models import MeasureAssignment, QuestionnaireResponse
    from ipt.safety.models import RiskAlert
    from ipt.visits.models import Encounter

    for model in (Encounter, QuestionnaireResponse, MeasureAssignment, RiskAlert):
        post_save.connect(_course_changed, sender=model, dispatch_uid=f"caseload-{model.__name__}")
        post_delete.connect(_course_changed, sender=model, dispatch_uid=f"caseload-del-{model.__name__}")
    post_save.connect(_courses_changed, sender=TreatmentCourse, dispatch_uid="caseload-course")
    post_delete.connect(_courses_changed, sender=TreatmentCourse, dispatch_uid="caseload-del-course")
    pre_save.connect(_care_team_saving, sender=CareTeam, dispatch_uid="caseload-team-before")
    post_save.connect(_care_team_changed, sender=CareTeam, dispatch_uid="caseload-team")
    post_delete.connect(_care_team_changed, sender=CareTeam, dispatch_uid="caseload-del-team")
    post_save.connect(_patient_changed, sender=User, dispatch_uid="caseload-patient")
    post_save.connect(_grant_changed, sender=BreakGlassGrant, dispatch_uid="caseload-break-glass")
