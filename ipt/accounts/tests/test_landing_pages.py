"""Each role lands on a page with its own real data, and nothing else."""

from ipt.audit.models import AuditEvent


def test_a_therapist_sees_their_caseload_and_not_another_therapists(personas, client_for):
    page = client_for("therapist").get("/").content.decode()
    assert "Caseload" in page and "Paula Tient" in page
    assert "Oscar Patient" not in page
    assert AuditEvent.objects.filter(action="caseload.read", actor=personas.therapist).exists()


def test_a_patient_sees_their_therapist_next_steps_and_crisis_help(personas, client_for):
    page = client_for("patient").get("/").content.decode()
    assert "Thea Rapist" in page and "Next steps" in page
    assert 'href="/crisis/"' in page
    assert "Otto Therapist" not in page and "SECRET-REFERRAL" not in page


def test_a_supervisor_sees_the_therapists_they_supervise_and_their_patients(personas, client_for):
    page = client_for("supervisor").get("/").content.decode()
    assert "Thea Rapist" in page and "Paula Tient" in page
    assert "Otto Therapist" not in page and "Oscar Patient" not in page


def test_an_admin_lands_on_the_user_list_without_clinical_content(personas, client_for):
    client = client_for("admin")
    response = client.get("/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/users/"
    for email in ("patient@example.test", "therapist@example.test", "other.patient@example.test"):
        assert email in page
    assert "SECRET-REFERRAL" not in page
    assert client.get(f"/patients/{personas.care_team.pk}/").status_code == 403


def test_the_care_team_reads_the_encrypted_referral_and_the_read_is_audited(personas, client_for):
    url = f"/patients/{personas.care_team.pk}/"
    for persona in ("therapist", "supervisor"):
        assert "SECRET-REFERRAL-patient" in client_for(persona).get(url).content.decode()
    assert client_for("other_therapist").get(url).status_code == 404
    reads = AuditEvent.objects.filter(action="patient.read", patient=personas.patient)
    assert {event.actor_role for event in reads} == {"therapist", "supervisor"}


def test_crisis_help_is_public_and_says_it_is_not_monitored(db, client):
    page = client.get("/crisis/").content.decode()
    assert "emergency number" in page and "around the clock" in page


def test_the_layout_works_on_a_phone_and_has_no_inline_script(client_for):
    page = client_for("patient").get("/").content.decode()
    assert 'name="viewport"' in page
    assert "<script>" not in page and "onclick=" not in page
    assert 'href="#main"' in page  # skip link for keyboard users


def test_a_patient_sees_their_open_work_at_home_on_their_home_page(personas, client_for):
    from ipt.care.models import HomeworkTask, TreatmentCourse

    course = TreatmentCourse.objects.create(care_team=personas.care_team, status="middle")
    HomeworkTask.objects.create(course=course, description="Ask Sam for twenty minutes to talk")
    HomeworkTask.objects.create(course=course, description="Already tried this one", status="tried")
    page = client_for("patient").get("/").content.decode()
    assert "Ask Sam for twenty minutes to talk" in page and "How did it go?" in page
    assert "Already tried this one" not in page
    assert "Ask Sam" not in client_for("other_patient").get("/").content.decode()


def test_the_patient_page_title_is_only_the_patients_name(personas, client_for):
    page = client_for("therapist").get(f"/patients/{personas.care_team.pk}/").content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.strip().startswith("Paula Tient") and "<" not in title
    assert page.count('id="course-heading"') == 1
