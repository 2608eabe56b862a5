"""PDFs rendered on the server with WeasyPrint from HTML templates: the patient's own record and
the course progress report for staff (to share with a prescriber).

Privacy: neither document carries session-note text other than the shared summaries of signed
notes (the patient's own record only), psychotherapy notes, the referral reason, the formulation,
or the inventory and timeline. The HTML is built first (``*_html``) so tests can read it as text.

No external resources: the stylesheet is inlined from a template and the only images are the
score charts, inlined as data: URIs; WeasyPrint is given a fetcher that refuses anything else.
"""

import base64

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from ipt.accounts.models import CareTeam, User
from ipt.care.access import courses_for, formulations_for, problem_areas_for
from ipt.care.checklist import session_position
from ipt.care.models import TargetCondition, TreatmentCourse
from ipt.care.problem_area_templates import template_for
from ipt.interop.measures import Series, local_day, score_series
from ipt.measures import change, charts
from ipt.visits.access import shared_summaries_for
from ipt.visits.models import Encounter, EncounterStatus


def render_pdf(html: str) -> bytes:
    """The PDF of this HTML; only data: URIs (the inlined charts) are ever fetched."""
    fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False, fail_on_errors=True)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def _goals(area) -> list[str]:
    return [line.strip() for line in area.goals.splitlines() if line.strip()]


def _conditions(course: TreatmentCourse) -> list[str]:
    return [
        TargetCondition(code).label for code in course.target_conditions if code in TargetCondition.values
    ]


def _chart_data_uri(user: User, course: TreatmentCourse, series: Series) -> str | None:
    points = [charts.Point(row.day, row.total) for row in series.rows if row.total is not None]
    if not points:
        return None
    sessions = [
        charts.Session(number, local_day(moment, user))
        for number, moment in Encounter.objects.filter(
            course=course, course__in=courses_for(user), status=EncounterStatus.FINISHED
        ).values_list("number", "starts_at")
    ]
    svg = charts.render(series.instrument.code, points, sessions)
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _change(series: Series, sessions_held: int) -> list[tuple[str, str]]:
    """First and latest score, then the change figures of ``ipt.measures.change``."""
    totals = series.totals
    if not totals:
        return []
    figures = [("First score", str(totals[0])), ("Latest score", str(totals[-1]))]
    return figures + change.summarise(series.instrument.code, totals, sessions_held=sessions_held)


def progress_report_html(user: User, course: TreatmentCourse) -> str:
    held, planned = session_position(course)
    areas = [{"area": area, "goals": _goals(area)} for area in problem_areas_for(user, course)]
    measures = [
        {
            "series": series,
            "chart": _chart_data_uri(user, course, series),
            "change": _change(series, held),
        }
        for series in score_series(user, course)
    ]
    context = {
        "course": course,
        "patient": course.care_team.patient,
        "therapist": course.care_team.therapist,
        "conditions": _conditions(course),
        "held": held,
        "planned": planned,
        "areas": areas,
        "measures": measures,
        "generated_at": timezone.now(),
        "generated_by": user,
    }
    return render_to_string("interop/progress_report.html", context)


def _patient_course(user: User, course: TreatmentCourse) -> dict:
    held, planned = session_position(course)
    areas = []
    if formulations_for(user, course).exists():  # the patient meets the focus with the formulation
        for area in problem_areas_for(user, course):
            template = template_for(area.kind)
            areas.append({"plain_name": template.plain_name, "plain": template.plain, "goals": _goals(area)})
    return {
        "course": course,
        "held": held,
        "planned": planned,
        "areas": areas,
        "summaries": sorted(shared_summaries_for(user, course), key=lambda row: row["number"]),
        "measures": score_series(user, course),
    }


def patient_record_html(user: User, team: CareTeam) -> str:
    courses = list(courses_for(user).filter(care_team=team).order_by("-created_at"))
    context = {
        "patient": team.patient,
        "therapist": team.therapist,
        "courses": [_patient_course(user, course) for course in courses],
        "generated_at": timezone.now(),
    }
    return render_to_string("interop/my_record.html", context)
