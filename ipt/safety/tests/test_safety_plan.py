from pathlib import Path

import pytest
from django.conf import settings

from ipt.audit.models import AuditEvent
from ipt.safety.models import SafetyPlanVersion

pytestmark = pytest.mark.django_db


def test_the_patient_and_the_therapist_both_edit_and_each_save_is_a_new_version(course, client_for):
    patient, therapist = client_for("patient"), client_for("therapist")
    response = patient.post(
        "/my/safety-plan/", {"warning_signs": "I stop answering the phone", "country": "GB"}
    )
    assert response.status_code == 302
    path = f"/courses/{course.pk}/safety-plan/"
    current = therapist.get(path).content.decode()
    assert "I stop answering the phone" in current and "116 123" in current
    data = {
        "warning_signs": "I stop answering the phone",
        "reasons_for_living": "My daughter",
        "country": "GB",
    }
    assert therapist.post(path, data).status_code == 302
    versions = list(SafetyPlanVersion.objects.filter(course=course).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].written_by.role == "patient" and versions[1].written_by.role == "therapist"
    assert versions[0].reasons_for_living == "" and versions[1].reasons_for_living == "My daughter"
    mine = patient.get("/my/safety-plan/").content.decode()
    assert "My daughter" in mine
    listing = patient.get("/my/safety-plan/versions/").content.decode()
    assert "Version 1" in listing and "Version 2" in listing
    old = patient.get("/my/safety-plan/versions/1/").content.decode()
    assert "I stop answering the phone" in old and "My daughter" not in old
    assert therapist.get(f"{path}versions/2/").status_code == 200
    assert AuditEvent.objects.filter(action="safety_plan.save").count() == 2
    assert "daughter" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_an_empty_or_unchanged_plan_is_refused_and_nothing_is_stored(course, client_for):
    patient = client_for("patient")
    response = patient.post("/my/safety-plan/", {"warning_signs": "   "})
    assert response.status_code == 400 and "at least one section" in response.content.decode()
    assert patient.post("/my/safety-plan/", {"coping_strategies": "A walk"}).status_code == 302
    response = patient.post("/my/safety-plan/", {"coping_strategies": "A walk"})
    assert response.status_code == 400 and "Nothing has changed" in response.content.decode()
    assert SafetyPlanVersion.objects.count() == 1


def test_the_supervisor_reads_the_plan_but_cannot_change_it(course, client_for):
    client_for("patient").post("/my/safety-plan/", {"coping_strategies": "Music"})
    supervisor = client_for("supervisor")
    path = f"/courses/{course.pk}/safety-plan/"
    page = supervisor.get(path)
    assert page.status_code == 200 and "Music" in page.content.decode()
    assert "Save safety plan" not in page.content.decode()
    assert supervisor.post(path, {"coping_strategies": "Changed"}).status_code == 403
    assert SafetyPlanVersion.objects.count() == 1


def test_others_get_404_and_the_wrong_roles_403(course, other_course, client_for):
    client_for("other_patient").post("/my/safety-plan/", {"coping_strategies": "OTHER-PLAN-TEXT"})
    for persona in ("therapist", "supervisor"):
        assert client_for(persona).get(f"/courses/{other_course.pk}/safety-plan/").status_code == 404
        assert (
            client_for(persona).get(f"/courses/{other_course.pk}/safety-plan/versions/1/").status_code == 404
        )
    other = client_for("other_therapist")
    assert other.get(f"/courses/{course.pk}/safety-plan/").status_code == 404
    assert other.post(f"/courses/{course.pk}/safety-plan/", {"warning_signs": "x"}).status_code == 404
    patient = client_for("patient")
    assert patient.get(f"/courses/{other_course.pk}/safety-plan/").status_code == 403  # staff page
    mine = patient.get("/my/safety-plan/").content.decode()
    assert "OTHER-PLAN-TEXT" not in mine
    assert patient.get("/my/safety-plan/versions/1/").status_code == 404  # the other patient's version 1
    assert client_for("admin").get(f"/courses/{course.pk}/safety-plan/").status_code == 403
    assert client_for("therapist").get("/my/safety-plan/").status_code == 403


def test_a_patient_without_a_course_gets_404(client_for):
    assert client_for("patient").get("/my/safety-plan/").status_code == 404


def test_the_safety_plan_is_one_tap_away_for_the_patient(course, client_for):
    body = client_for("patient").get("/my/course/").content.decode()
    assert 'href="/my/safety-plan/"' in body


def test_the_safety_plan_has_a_print_stylesheet_and_no_inline_styles(course, client_for):
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    section = css[css.index("/* Safety: alerts, crisis lines, safety plan") :]
    assert "@media print" in section and ".safety-plan-section" in section
    client_for("patient").post("/my/safety-plan/", {"coping_strategies": "Music"})
    body = client_for("patient").get("/my/safety-plan/").content.decode()
    assert "style=" not in body and "<style" not in body
    assert 'class="no-print"' in body
