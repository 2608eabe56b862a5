"""The patient's record PDF and the course progress report: who gets them, what is in them, and
that nothing private is (checked on the HTML the PDF is rendered from)."""

import pytest
from django.urls import reverse
from weasyprint.urls import FatalURLFetchingError

from ipt.audit.models import AuditEvent
from ipt.interop import reports
from ipt.interop.tests.conftest import GOAL, NEVER, SHARED_SUMMARY


def report_url(course) -> str:
    return reverse("course_report_pdf", args=[course.pk])


def assert_pdf(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")


def assert_no_secrets(text: str) -> None:
    for what, marker in NEVER.items():
        assert marker not in text, f"the {what} is in the document"


@pytest.mark.parametrize("persona", ["therapist", "supervisor"])
def test_staff_download_the_progress_report(personas, client_for, record, persona):
    response = client_for(persona).get(report_url(record.course))
    assert_pdf(response)
    assert AuditEvent.objects.filter(action="report.pdf.read", actor=personas.get(persona)).count() == 1


def test_the_report_shows_scores_chart_change_and_goals_and_nothing_private(personas, record):
    html = reports.progress_report_html(personas.therapist, record.course)
    assert GOAL in html and "Role dispute (primary)" in html
    assert "data:image/svg+xml;base64," in html  # the chart, inlined
    for total in ("18", "9", "3"):
        assert f'<td class="number">{total}</td>' in html
    assert "Change since the first score" in html and "-15" in html
    assert "Response (a fall of 50% or more)" in html
    assert_no_secrets(html)
    assert SHARED_SUMMARY not in html  # session text stays out of a report for a prescriber
    assert "http://" not in html and "https://" not in html  # nothing external to fetch


def test_the_report_is_refused_to_the_patient_the_admin_and_other_teams(client_for, record, other_record):
    assert client_for("patient").get(report_url(record.course)).status_code == 403
    assert client_for("admin").get(report_url(record.course)).status_code == 403
    response = client_for("other_therapist").get(report_url(record.course))
    assert response.status_code == 404 and GOAL not in response.content.decode()
    assert client_for("therapist").get(report_url(other_record.course)).status_code == 404


def test_a_report_without_scores_says_so(personas, record):
    record.course.questionnaire_responses.all().delete()
    html = reports.progress_report_html(personas.supervisor, record.course)
    assert "No questionnaires have been completed" in html
    assert reports.render_pdf(html).startswith(b"%PDF")


def test_the_patient_downloads_a_readable_record(personas, client_for, record, other_record):
    response = client_for("patient").get(reverse("my_record_pdf"))
    assert_pdf(response)
    assert AuditEvent.objects.filter(action="record.pdf.download", actor=personas.patient).count() == 1
    html = reports.patient_record_html(personas.patient, personas.care_team)
    assert GOAL in html and "A disagreement with someone important to you" in html
    assert SHARED_SUMMARY in html  # the summaries of signed notes are theirs
    assert "The main part of your therapy" in html and "PHQ-9" in html and "moderately severe" in html
    assert_no_secrets(html)
    assert other_record.course.care_team.patient.last_name not in html


def test_the_patient_meets_the_goals_only_once_the_formulation_is_shared(personas, record):
    record.course.formulations.update(shared_at=None)
    html = reports.patient_record_html(personas.patient, personas.care_team)
    assert GOAL not in html
    assert_no_secrets(html)


def test_only_a_patient_has_a_record_to_download(personas, client_for, record, other_record):
    for persona in ("therapist", "supervisor", "admin"):
        assert client_for(persona).get(reverse("my_record_pdf")).status_code == 403
    html = reports.patient_record_html(personas.other_patient, personas.other_care_team)
    assert personas.other_patient.display_name in html and personas.patient.display_name not in html


@pytest.mark.parametrize(
    "html", ['<img src="http://127.0.0.1:9/x.png">', '<link rel="stylesheet" href="file:///etc/passwd">']
)
def test_the_pdf_renderer_refuses_to_fetch_anything_from_outside(html):
    with pytest.raises(FatalURLFetchingError):
        reports.render_pdf(f"{html}<p>Hello</p>")
