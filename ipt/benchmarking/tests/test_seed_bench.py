"""seed_bench builds the data set it promises, the audit chain verifies, and bench staff can sign in."""

import base64
import io
import time
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.models import CareTeam, Role, User
from ipt.audit.actions import record, verify_chain
from ipt.audit.models import AuditEvent
from ipt.benchmarking import seed
from ipt.care.models import TreatmentCourse
from ipt.measures.instruments import registry
from ipt.measures.models import QuestionnaireResponse, ResponseStatus
from ipt.messaging.models import Message, ReadState, Thread
from ipt.practice.models import DiaryEntry
from ipt.safety.models import RiskAlert
from ipt.visits.models import Encounter

pytestmark = pytest.mark.django_db


def seed_bench(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_bench", *args, stdout=out)
    return out.getvalue()


def totp_code(secret: str = seed.BENCH_TOTP_SECRET) -> str:
    generator = TOTP(base64.b32decode(secret), step=30, t0=0, digits=6)
    generator.time = time.time()
    return f"{generator.token():06d}"


def test_it_builds_the_promised_data_set_for_100_patients():
    output = seed_bench("--patients", "100")

    patients = User.objects.filter(role=Role.PATIENT)
    assert patients.count() == 100
    assert User.objects.filter(role=Role.THERAPIST).count() == 2  # 100 // 50
    assert User.objects.filter(role=Role.SUPERVISOR).count() == 1
    assert set(patients.values_list("email", flat=True)) == {seed.patient_email(j) for j in range(1, 101)}
    assert CareTeam.objects.count() == 100
    assert CareTeam.objects.filter(therapist__email=seed.therapist_email(1)).count() == 50
    assert TreatmentCourse.objects.values("care_team").annotate(n=Count("id")).filter(n=1).count() == 100

    responses = QuestionnaireResponse.objects.filter(status=ResponseStatus.COMPLETED)
    per_course = Counter(responses.values_list("course_id", flat=True))
    assert len(per_course) == 100 and min(per_course.values()) >= 2
    assert 24 <= responses.count() / 100 <= 36  # "about 30 each"
    assert set(responses.values_list("instrument", flat=True)) == {"phq9", "gad7"}

    diary = Counter(DiaryEntry.objects.values_list("course_id", flat=True))
    assert len(diary) == 100 and 7 <= sum(diary.values()) / 100 <= 14
    assert Encounter.objects.values("course").distinct().count() == 100
    assert Thread.objects.values("care_team").annotate(n=Count("id")).filter(n=1).count() == 100
    messages = Counter(Message.objects.values_list("thread_id", flat=True))
    assert len(messages) == 100 and min(messages.values()) >= 2 and max(messages.values()) <= 5
    assert ReadState.objects.count() == 200

    assert AuditEvent.objects.count() == 100 * seed.AUDIT_PER_PATIENT
    per_patient = Counter(AuditEvent.objects.values_list("patient_id", flat=True))
    assert set(per_patient.values()) == {seed.AUDIT_PER_PATIENT}
    assert "total" in output and " s " in output  # elapsed time per part and in total


def test_scores_are_those_of_the_scoring_functions_and_every_positive_item_9_has_an_alert():
    seed_bench("--patients", "40")
    flagged = set()
    for response in QuestionnaireResponse.objects.all():
        score = registry.get(response.instrument).score(response.answers)
        assert (response.total, response.severity, response.flags) == (
            score.total,
            score.severity,
            list(score.flags),
        )
        if response.flags:
            flagged.add(f"{response.instrument} response {response.pk}")
    assert set(RiskAlert.objects.values_list("source", flat=True)) == flagged


def test_the_audit_chain_verifies_and_continues_from_events_recorded_before_and_after():
    record(actor=None, action="before.bench")
    seed_bench("--patients", "20", "--therapists", "3")
    record(actor=None, action="after.bench")

    assert verify_chain() is None
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert f"{20 * seed.AUDIT_PER_PATIENT + 2} events verified" in out.getvalue()


def test_a_bench_therapist_signs_in_with_the_bench_password_and_totp_code():
    seed_bench("--patients", "10")
    therapist = User.objects.get(email=seed.therapist_email(1))
    device = TOTPDevice.objects.get(user=therapist, confirmed=True)
    assert device.key == seed.BENCH_TOTP_KEY_HEX
    client = Client()

    response = client.post("/login/", {"username": therapist.email, "password": seed.BENCH_PASSWORD})
    assert response.status_code == 302
    response = client.post("/mfa/verify/", {"otp_token": totp_code()})
    assert response.status_code == 302, response.content.decode()[:500]

    home = client.get("/")
    assert home.status_code == 200
    patient = User.objects.get(email=seed.patient_email(1))
    assert patient.display_name in home.content.decode()


def test_a_bench_patient_signs_in_with_the_bench_password():
    seed_bench("--patients", "3", "--therapists", "1")
    client = Client()
    response = client.post("/login/", {"username": seed.patient_email(3), "password": seed.BENCH_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_every_staff_member_has_a_confirmed_device_with_the_bench_secret():
    seed_bench("--patients", "120", "--therapists", "120")
    staff = User.objects.filter(role__in=[Role.THERAPIST, Role.SUPERVISOR])
    assert staff.count() == 120 + 2  # a supervisor per 50 therapists
    keys = TOTPDevice.objects.filter(user__in=staff, confirmed=True).values_list("key", flat=True)
    assert list(keys) == [seed.BENCH_TOTP_KEY_HEX] * staff.count()
    assert User.objects.filter(role=Role.THERAPIST, supervisor__isnull=True).count() == 0


def test_it_refuses_to_seed_a_second_practice_into_the_same_database():
    seed_bench("--patients", "5", "--therapists", "1")
    with pytest.raises(CommandError, match=r"bench accounts .* exist already"):
        seed_bench("--patients", "5")
    assert User.objects.filter(role=Role.PATIENT).count() == 5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "the following arguments are required: --patients"),
        (("--patients", "0"), "--patients must be at least 1"),
        (("--patients", "-5"), "--patients must be at least 1"),
        (("--patients", "ten"), "expected a whole number, got 'ten'"),
        (("--patients", "10", "--therapists", "0"), "--therapists must be from 1 to the number of patients"),
        (("--patients", "10", "--therapists", "11"), "--therapists must be from 1 to the number of patients"),
    ],
)
def test_it_says_what_is_wrong_with_bad_arguments_and_writes_nothing(arguments, message):
    with pytest.raises(CommandError, match=message):
        seed_bench(*arguments)
    assert not seed.bench_users().exists()
    assert AuditEvent.objects.count() == 0
