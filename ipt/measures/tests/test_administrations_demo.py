"""`seed_demo` adds weeks of PHQ-9 and GAD-7: one patient improving to response, one not on track
with an acknowledged alert; running it again adds nothing."""

from django.core.management import call_command

from ipt.care.models import TreatmentCourse
from ipt.measures import change
from ipt.measures.access import caseload_flags, series_for_course
from ipt.measures.models import QuestionnaireResponse
from ipt.safety.models import AlertStatus, RiskAlert


def course_of(email: str) -> TreatmentCourse:
    return TreatmentCourse.objects.get(care_team__patient__email=email)


def test_the_demo_has_an_improving_patient_one_not_on_track_and_an_acknowledged_alert(db):
    call_command("seed_demo")
    count = QuestionnaireResponse.objects.count()
    call_command("seed_demo")
    assert QuestionnaireResponse.objects.count() == count > 0

    improving, stuck = course_of("patient@demo.test"), course_of("patient2@demo.test")
    series = series_for_course(improving, QuestionnaireResponse.objects.filter(course=improving))
    assert set(series) == {"phq9", "gad7"} and len(series["phq9"]) >= 5
    assert change.response(series["phq9"]) and change.response(series["gad7"])
    assert not change.not_on_track("phq9", series["phq9"])

    flags = caseload_flags([improving.pk, stuck.pk])
    assert flags[improving.pk].not_on_track == () and not flags[improving.pk].open_alert
    assert flags[stuck.pk].not_on_track == ("GAD-7", "PHQ-9")

    [alert] = RiskAlert.objects.all()
    assert alert.course == stuck and alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == stuck.care_team.therapist and alert.follow_up
    [flagged] = [row for row in QuestionnaireResponse.objects.all() if "suicidal_ideation" in row.flags]
    assert alert.source == f"phq9 response {flagged.pk}"
