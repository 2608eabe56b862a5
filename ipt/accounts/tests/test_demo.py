"""`seed_demo` gives a newcomer every role to sign in as, and can run again safely."""

from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY_HEX
from ipt.accounts.models import CareTeam, User
from ipt.messaging.models import Thread
from ipt.practice.models import DiaryEntry, DiaryInteraction, LessonAssignment, RolePlayTurn

DEMO_EMAILS = {
    "therapist@demo.test": "therapist",
    "therapist2@demo.test": "therapist",
    "supervisor@demo.test": "supervisor",
    "admin@demo.test": "admin",
    "patient@demo.test": "patient",
    "patient2@demo.test": "patient",
}


def test_seed_demo_creates_every_demo_account_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert dict(User.objects.values_list("email", "role")) == DEMO_EMAILS
    assert CareTeam.objects.get(patient__email="patient@demo.test").therapist.email == "therapist@demo.test"
    assert CareTeam.objects.get(patient__email="patient2@demo.test").therapist.email == "therapist2@demo.test"
    assert User.objects.get(email="therapist@demo.test").supervisor.email == "supervisor@demo.test"
    assert TOTPDevice.objects.filter(confirmed=True).count() == 4
    assert DEMO_PASSWORD in capsys.readouterr().out


def test_a_demo_therapist_signs_in_with_the_published_password_and_code(db):
    call_command("seed_demo")
    client = Client()
    client.post("/login/", {"username": "therapist@demo.test", "password": DEMO_PASSWORD})
    code = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX)).token()
    assert client.post("/mfa/verify/", {"otp_token": f"{code:06d}"}).status_code == 302
    assert "Pat Rivera" in client.get("/").content.decode()


def test_the_demo_courses_show_the_product_at_work(db):
    from ipt.care.checklist import initial_phase, middle_phase
    from ipt.care.models import TreatmentCourse

    call_command("seed_demo")
    call_command("seed_demo")
    middle = TreatmentCourse.objects.get(care_team__patient__email="patient@demo.test")
    initial = TreatmentCourse.objects.get(care_team__patient__email="patient2@demo.test")
    assert (middle.status, initial.status) == ("middle", "initial")
    assert all(item.done for item in initial_phase(middle)) and all(
        item.done for item in middle_phase(middle)
    )
    dispute = middle.problem_areas.get(rank="primary")
    assert dispute.kind == "role_dispute" and dispute.stages.last().stage == "renegotiation"
    assert middle.encounters.filter(note__status="signed").count() == 5
    assert middle.homework.filter(status="open").exists()
    assert TreatmentCourse.objects.count() == 2


def test_the_demo_patient_has_a_diary_a_lesson_and_a_role_play_to_look_at(db):
    call_command("seed_demo")
    call_command("seed_demo")
    course = CareTeam.objects.get(patient__email="patient@demo.test").courses.get()
    assert DiaryEntry.objects.filter(course=course).count() == 9
    people = [
        i.person.name for i in DiaryInteraction.objects.filter(entry__course=course).select_related("person")
    ]
    assert people.count("Sam") == 5 and people.count("Rosa") == 2  # names are encrypted: counted here
    assert LessonAssignment.objects.filter(course=course, lesson="communication-skills").count() == 1
    assert RolePlayTurn.objects.filter(session__course=course, speaker="patient").count() == 2


def test_the_demo_patient_has_one_conversation_with_their_therapist(db):
    call_command("seed_demo")
    call_command("seed_demo")
    thread = Thread.objects.get(care_team__patient__email="patient@demo.test")
    written = thread.messages.filter(is_auto_reply=False)
    assert [m.sender.email for m in written] == [
        "patient@demo.test",
        "therapist@demo.test",
        "patient@demo.test",
    ]
    assert not Thread.objects.filter(care_team__patient__email="patient2@demo.test").exists()
