"""The benchmark data set: a practice of N patients, built fast (``manage.py seed_bench``).

Interface others rely on (bench/, the query-count tests):
- ``BENCH_PASSWORD`` for every bench account; ``BENCH_TOTP_SECRET`` (base32) is the key of the
  confirmed TOTP device every bench staff member has.
- Numbers start at 1: ``therapist_email(1)`` .. ``therapist_email(T)``, ``patient_email(1)`` ..
  ``patient_email(N)``, ``supervisor_email(1)`` .. ``supervisor_email(S)`` with S = max(1, T // 50).
  Patient j belongs to therapist ``therapist_of_patient(j, T)`` (round robin: patient 1 to
  therapist 1); therapist i is supervised by supervisor ``supervisor_of_therapist(i, S)``.
- Every patient has a care team, one treatment course (initial to maintenance, a few completed
  or discontinued), PHQ-9 and GAD-7 assigned and answered weekly (30 responses on average, 2 to 58),
  finished sessions, diary entries (about 10), one message thread with 2 to 5 messages and read
  states; exactly ``AUDIT_PER_PATIENT`` audit rows per patient, chained onto the existing chain so
  that ``manage.py verify_audit_chain`` passes.

Rows are written straight to the tables (``bulk.insert_rows``), never through the actions: the
actions audit and notify one row at a time. Scores still come from the instrument registry (the
project's scoring functions), once per distinct answer set. The data are the same for the same
arguments (a seeded random generator), apart from encryption nonces and the time of the run.
"""

import hashlib
import json
import random
import time
import uuid
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt.accounts.models import CareTeam, Role, User
from ipt.audit.actions import GENESIS, _lock_chain
from ipt.audit.models import AuditEvent, AuditHead
from ipt.benchmarking.bulk import db_value, insert_rows, reset_sequences
from ipt.care.models import (
    CourseStatus,
    ProblemArea,
    ProblemAreaKind,
    ProblemAreaRank,
    StatusChange,
    TreatmentContract,
    TreatmentCourse,
)
from ipt.measures.instruments import registry
from ipt.measures.models import MeasureAssignment, QuestionnaireResponse, ResponseStatus, Schedule
from ipt.messaging.models import Message, ReadState, Thread
from ipt.practice.models import DiaryEntry
from ipt.safety.models import AlertReason, AlertStatus, RiskAlert
from ipt.visits.models import Encounter, EncounterStatus

BENCH_PASSWORD = "bench-IPT-online-2026"
BENCH_TOTP_KEY_HEX = "62656e63682d6970742d6f6e6c696e652d323032"  # 20 bytes, as TOTPDevice stores it
BENCH_TOTP_SECRET = b32encode(bytes.fromhex(BENCH_TOTP_KEY_HEX)).decode()
BENCH_DOMAIN = "bench.test"
PATIENTS_PER_THERAPIST = 50
THERAPISTS_PER_SUPERVISOR = 50
AUDIT_PER_PATIENT = 100
INSTRUMENTS = ("phq9", "gad7")
MIN_WEEKS, MAX_WEEKS = 2, 29  # weeks since the course began: 15.5 on average, so ~30 responses
DIARY_DAYS = 14  # the last two weeks of the course, most days filled in
RANDOM_SEED = 20261127
SUICIDAL_IDEATION = "suicidal_ideation"


def therapist_email(i: int) -> str:
    return f"bench-therapist-{i:03d}@{BENCH_DOMAIN}"


def patient_email(j: int) -> str:
    return f"bench-patient-{j:05d}@{BENCH_DOMAIN}"


def supervisor_email(k: int) -> str:
    return f"bench-supervisor-{k:02d}@{BENCH_DOMAIN}"


def default_therapists(patients: int) -> int:
    return max(1, patients // PATIENTS_PER_THERAPIST)


def supervisors_for(therapists: int) -> int:
    return max(1, therapists // THERAPISTS_PER_SUPERVISOR)


def therapist_of_patient(j: int, therapists: int) -> int:
    return (j - 1) % therapists + 1


def supervisor_of_therapist(i: int, supervisors: int) -> int:
    return (i - 1) % supervisors + 1


def bench_users():
    return User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")


# Plausible content ---------------------------------------------------------------------------------

FIRST_NAMES = [
    "Alex",
    "Amira",
    "Ben",
    "Chloe",
    "Daniel",
    "Dara",
    "Elena",
    "Farah",
    "Gabriel",
    "Hana",
    "Ian",
    "Ines",
    "Jamal",
    "Julia",
    "Kai",
    "Lena",
    "Luca",
    "Maya",
    "Mohammed",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Rosa",
    "Sam",
    "Sofia",
    "Tariq",
    "Una",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Adeyemi",
    "Andersson",
    "Baker",
    "Chen",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kaur",
    "Kowalski",
    "Lopez",
    "Martin",
    "Müller",
    "Nakamura",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Torres",
    "Walsh",
    "Wilson",
    "Yilmaz",
    "Zhang",
]
TIME_ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago", "Australia/Sydney")
REFERRALS = (
    "Low mood for several months since the end of a long relationship.",
    "Depression after the death of a parent last year; withdrawn from friends.",
    "Arguments with partner about returning to work after the baby; tearful, not sleeping.",
    "Low mood and anxiety since moving city for a new job; few people to talk to.",
    "Recurrent depression; conflict with a sister over caring for their mother.",
    "Redundancy six months ago; lost confidence, low mood, drinking more.",
)
DIARY_NOTES = (
    "Talked with my sister on the phone, it went better than expected.",
    "Quiet day. Stayed in, did not feel like calling anyone.",
    "Argument at dinner about money again.",
    "Went for a walk with a friend from work.",
    "Tired, slept badly. Skipped the class I meant to go to.",
    "Told my partner how I felt about the weekend plans; we agreed on Sunday.",
)
SUBJECTS = ("Next week's session", "A question about the homework", "Feeling worse this week", "Running late")
MESSAGES = (
    "Hello, could we move next week's session to the afternoon?",
    "Yes, that works. I have opened Thursday at 15:00 on the Appointments page.",
    "Thank you, I have booked it.",
    "I tried the conversation we practised. It was hard but I did it.",
    "That is a real step. Let's look at how it went on Tuesday.",
    "I have had a difficult few days and wanted you to know before the session.",
    "Thank you for letting me know. If things get worse, the crisis numbers are on your safety plan.",
)
CONTRACT_SCHEDULE = "Weekly, 50 minutes by video, same day and time each week."
CONTRACT_GOALS = "Feel less low; talk with my partner about the move without it ending in a row."
CONTRACT_POLICY = "Cancel at least 24 hours ahead where possible; two missed sessions in a row: we review."
PROBLEM_AREA_GOALS = "Understand the dispute and the expectations on both sides; try a new way of asking."

SUBMIT_DETAIL = {
    (code, flagged): {"instrument": code, "flagged": flagged}
    for code in INSTRUMENTS
    for flagged in (False, True)
}  # shared, never changed: one dict per kind instead of 300,000
ASSIGN_DETAIL = {
    code: {"instrument": code, "schedule": Schedule.BEFORE_EVERY_SESSION.value, "every_weeks": None}
    for code in INSTRUMENTS
}
PHASE_OF_SESSION = ((3, CourseStatus.INITIAL), (12, CourseStatus.MIDDLE), (16, CourseStatus.TERMINATION))


def _session_phase(number: int) -> str:
    for last, phase in PHASE_OF_SESSION:
        if number <= last:
            return phase
    return CourseStatus.MAINTENANCE


# Answer sets: a pool per instrument and severity level, scored once by the real scoring function ---


@dataclass(frozen=True)
class ScoredAnswers:
    answers: str  # as JSON text, the way the database takes it
    total: int
    severity: str
    subscales: str
    flags: str
    flagged: bool


LEVELS = 28  # severity levels 0 (well) .. 27 (worst PHQ-9 total)
POOL_SIZE = 24


def _answer_pools(rng: random.Random) -> dict[str, list[list[ScoredAnswers]]]:
    pools: dict[str, list[list[ScoredAnswers]]] = {}
    for code in INSTRUMENTS:
        instrument = registry.get(code)
        by_level = []
        for level in range(LEVELS):
            chance = level / (LEVELS - 1)
            pool = []
            for _ in range(POOL_SIZE):
                values = []
                for item in instrument.items:
                    if not item.scored:  # PHQ-9's "how difficult": follows the severity
                        values.append(min(3, max(0, round(chance * 3 + rng.uniform(-0.6, 0.6)))))
                    elif code == "phq9" and item.number == 9:  # thoughts of self-harm: rare
                        values.append(1 if rng.random() < 0.01 * chance else 0)
                    else:
                        values.append(sum(rng.random() < chance for _ in range(max(item.values))))
                score = instrument.score(values)
                pool.append(
                    ScoredAnswers(
                        answers=json.dumps(values),
                        total=score.total,
                        severity=score.severity or "",
                        subscales=json.dumps(dict(score.subscales)),
                        flags=json.dumps(list(score.flags)),
                        flagged=SUICIDAL_IDEATION in score.flags,
                    )
                )
            by_level.append(pool)
        pools[code] = by_level
    return pools


# The run -------------------------------------------------------------------------------------------


@dataclass
class Patient:
    number: int
    user_id: uuid.UUID
    therapist: int  # index into therapists
    care_team_id: uuid.UUID
    course_id: uuid.UUID
    thread_id: uuid.UUID
    start: datetime
    weeks: int
    status: str
    ended_at: datetime | None
    assignments: dict = field(default_factory=dict)  # instrument code -> assignment id
    events: list = field(default_factory=list)  # audit: (at, by_therapist, action, type, id, detail)


@dataclass
class Staff:
    user_id: uuid.UUID
    email: str
    role: str


class BenchSeeder:
    def __init__(self, *, patients: int, therapists: int, audit_per_patient: int, log: Callable[[str], None]):
        self.patient_count = patients
        self.therapist_count = therapists
        self.supervisor_count = supervisors_for(therapists)
        self.audit_per_patient = audit_per_patient
        self.log = log
        self.rng = random.Random(RANDOM_SEED)  # noqa: S311 (made-up data, the same on every run)
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.counts: dict[str, int] = {}
        self.timings: list[tuple[str, float]] = []
        self.patients: list[Patient] = []
        self.therapists: list[Staff] = []
        self.supervisors: list[Staff] = []

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def run(self) -> dict[str, int]:
        """All parts in one transaction; prints wall-clock and this process's CPU time per part (on a
        busy machine the CPU time is the better guide to what an idle one would take)."""
        started, cpu_started = time.perf_counter(), time.process_time()
        with _fast_sqlite():
            with transaction.atomic():
                _fast_postgresql()
                for name, part in (
                    ("accounts", self.accounts),
                    ("courses", self.courses),
                    ("questionnaires", self.questionnaires),
                    ("diaries", self.diaries),
                    ("messages", self.messages),
                    ("audit", self.audit),
                ):
                    self._timed(name, part)
                commit_started, cpu_commit = time.perf_counter(), time.process_time()
            self._log_part("commit", commit_started, cpu_commit, "constraints checked, written")
        self._timed("statistics", _analyze)
        self._log_part("total", started, cpu_started, f"({connection.vendor})")
        return self.counts

    def _timed(self, name: str, part: Callable[[], str]) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = part()
        self._log_part(name, started, cpu_started, summary)

    def _log_part(self, name: str, started: float, cpu_started: float, summary: str) -> None:
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        self.timings.append((name, elapsed))
        self.log(f"  {name:<15} {elapsed:6.1f} s (cpu {cpu:5.1f} s)  {summary}")

    def _count(self, name: str, number: int) -> int:
        self.counts[name] = self.counts.get(name, 0) + number
        return number

    # Accounts --------------------------------------------------------------------------------------

    def _name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def accounts(self) -> str:
        password = make_password(BENCH_PASSWORD)  # argon2 once: it is slow on purpose
        joined = self.now - timedelta(weeks=MAX_WEEKS + 8)
        users = []
        for k in range(1, self.supervisor_count + 1):
            staff = Staff(self.new_id(), supervisor_email(k), Role.SUPERVISOR)
            self.supervisors.append(staff)
            users.append((staff, None))
        for i in range(1, self.therapist_count + 1):
            staff = Staff(self.new_id(), therapist_email(i), Role.THERAPIST)
            self.therapists.append(staff)
            supervisor = self.supervisors[supervisor_of_therapist(i, self.supervisor_count) - 1]
            users.append((staff, supervisor.user_id))
        rows = []
        for staff, supervisor_id in users:
            first, last = self._name()
            rows.append(
                (staff.user_id, staff.email, first, last, staff.role, "Europe/London", True, supervisor_id,
                 joined, joined, password)
            )  # fmt: skip
        for j in range(1, self.patient_count + 1):
            weeks = self.rng.randint(MIN_WEEKS, MAX_WEEKS)
            start = self.now - timedelta(
                weeks=weeks, days=self.rng.randint(0, 5), hours=self.rng.randint(0, 8)
            )
            status, ended_at = self._status(weeks, start)
            patient = Patient(
                number=j,
                user_id=self.new_id(),
                therapist=therapist_of_patient(j, self.therapist_count) - 1,
                care_team_id=self.new_id(),
                course_id=self.new_id(),
                thread_id=self.new_id(),
                start=start,
                weeks=weeks,
                status=status,
                ended_at=ended_at,
            )
            self.patients.append(patient)
            first, last = self._name()
            signed_up = start - timedelta(days=self.rng.randint(3, 14))
            rows.append(
                (patient.user_id, patient_email(j), first, last, Role.PATIENT, self.rng.choice(TIME_ZONES), True,
                 None, signed_up, signed_up, password)
            )  # fmt: skip
        names = [
            "id", "email", "first_name", "last_name", "role", "time_zone", "is_active", "supervisor_id",
            "terms_accepted_at", "date_joined", "password",
        ]  # fmt: skip
        self._count("users", insert_rows(User, names, rows))
        devices = [
            TOTPDevice(
                user_id=staff.user_id, name="Bench authenticator", key=BENCH_TOTP_KEY_HEX, confirmed=True
            )
            for staff in self.supervisors + self.therapists
        ]
        self._count("totp_devices", len(TOTPDevice.objects.bulk_create(devices)))
        teams = (
            (p.care_team_id, p.user_id, self.therapists[p.therapist].user_id, self.rng.choice(REFERRALS),
             p.start - timedelta(days=2))
            for p in self.patients
        )  # fmt: skip
        self._count(
            "care_teams",
            insert_rows(
                CareTeam, ["id", "patient_id", "therapist_id", "referral_reason", "created_at"], teams
            ),
        )
        return (
            f"{self.counts['users']:,} users ({self.supervisor_count} supervisors, {self.therapist_count} "
            f"therapists), {self.counts['totp_devices']:,} TOTP devices, {self.counts['care_teams']:,} care teams"
        )

    def _status(self, weeks: int, start: datetime) -> tuple[str, datetime | None]:
        roll = self.rng.random()
        if roll < 0.04:
            return CourseStatus.DISCONTINUED, self.now - timedelta(days=self.rng.randint(1, 6))
        if weeks <= 2:
            return CourseStatus.INITIAL, None
        if weeks <= 11:
            return CourseStatus.MIDDLE, None
        if weeks <= 15:
            return CourseStatus.TERMINATION, None
        if roll < 0.25:
            return CourseStatus.COMPLETED, start + timedelta(weeks=16, days=1)
        return CourseStatus.MAINTENANCE, None

    # Courses, sessions, assignments ----------------------------------------------------------------

    def courses(self) -> str:
        courses, changes, areas, contracts, encounters, assignments = [], [], [], [], [], []
        for p in self.patients:
            therapist = self.therapists[p.therapist]
            moves = self._phase_changes(p)
            status_changed_at = moves[-1][2] if moves else p.start
            courses.append(
                (p.course_id, p.care_team_id, "ipt", 16, p.status, ["depression"], "F32.1", p.start,
                 status_changed_at, p.ended_at)
            )  # fmt: skip
            p.events.append((p.start, True, "course.start", "treatmentcourse", str(p.course_id), None))
            for before, after, at in moves:
                changes.append((p.course_id, before, after, therapist.user_id, at, ""))
                p.events.append((at, True, "course.status_change", "treatmentcourse", str(p.course_id), None))
            if any(after == CourseStatus.MIDDLE for _, after, _ in moves):
                # Moving to the middle phase needs a primary problem area and a signed contract.
                chosen = p.start + timedelta(weeks=1, days=1)
                kind = self.rng.choice(ProblemAreaKind.values)
                areas.append(
                    (self.new_id(), p.course_id, kind, ProblemAreaRank.PRIMARY, PROBLEM_AREA_GOALS, chosen)
                )
                contracts.append(
                    (self.new_id(), p.course_id, 1, 16, CONTRACT_SCHEDULE, CONTRACT_GOALS, CONTRACT_POLICY,
                     therapist.user_id, chosen, therapist.email, chosen, "Patient", chosen + timedelta(hours=2))
                )  # fmt: skip
            for code in INSTRUMENTS:
                assignment_id = self.new_id()
                p.assignments[code] = assignment_id
                active = p.ended_at is None
                assignments.append(
                    (assignment_id, p.course_id, code, Schedule.BEFORE_EVERY_SESSION, active, therapist.user_id,
                     p.start)
                )  # fmt: skip
                p.events.append(
                    (p.start + timedelta(minutes=5), True, "measure_assignment.create", "measureassignment",
                     str(assignment_id), ASSIGN_DETAIL[code])
                )  # fmt: skip
            for number, when in enumerate(self._session_times(p), start=1):
                missed = self.rng.random() < 0.05
                encounters.append(
                    (self.new_id(), p.course_id, number, _session_phase(number), when,
                     EncounterStatus.MISSED if missed else EncounterStatus.FINISHED, therapist.user_id)
                )  # fmt: skip
        self._count(
            "courses",
            insert_rows(
                TreatmentCourse,
                ["id", "care_team_id", "format", "planned_sessions", "status", "target_conditions",
                 "icd10_codes", "created_at", "status_changed_at", "ended_at"],
                courses,
            ),
        )  # fmt: skip
        self._count(
            "status_changes",
            insert_rows(
                StatusChange,
                ["course_id", "from_status", "to_status", "changed_by_id", "changed_at", "reason"],
                changes,
            ),
        )
        self._count(
            "problem_areas",
            insert_rows(ProblemArea, ["id", "course_id", "kind", "rank", "goals", "chosen_at"], areas),
        )
        self._count(
            "contracts",
            insert_rows(
                TreatmentContract,
                ["id", "course_id", "version", "sessions_planned", "schedule", "goals", "missed_session_policy",
                 "drafted_by_id", "drafted_at", "therapist_signed_name", "therapist_signed_at",
                 "patient_signed_name", "patient_signed_at"],
                contracts,
            ),
        )  # fmt: skip
        self._count(
            "encounters",
            insert_rows(
                Encounter,
                ["id", "course_id", "number", "phase", "starts_at", "status", "created_by_id"],
                encounters,
            ),
        )
        self._count(
            "measure_assignments",
            insert_rows(
                MeasureAssignment,
                ["id", "course_id", "instrument", "schedule", "is_active", "created_by_id", "created_at"],
                assignments,
            ),
        )
        return (
            f"{self.counts['courses']:,} courses, {self.counts['encounters']:,} sessions, "
            f"{self.counts['status_changes']:,} phase changes, {self.counts['measure_assignments']:,} assignments"
        )

    def _phase_changes(self, p: Patient) -> list[tuple[str, str, datetime]]:
        """(from, to, when) for each phase the course has passed through."""
        moves = [
            (CourseStatus.INTAKE, CourseStatus.INITIAL, 0),
            (CourseStatus.INITIAL, CourseStatus.MIDDLE, 2),
            (CourseStatus.MIDDLE, CourseStatus.TERMINATION, 11),
        ]
        last_week = self._weeks_active(p)
        changes = [
            (before, after, p.start + timedelta(weeks=week, hours=1))
            for before, after, week in moves
            if week < last_week or (week == 0)
        ]
        if p.status == CourseStatus.DISCONTINUED:
            return [*changes, (changes[-1][1], CourseStatus.DISCONTINUED, p.ended_at or self.now)]
        if p.status in (CourseStatus.COMPLETED, CourseStatus.MAINTENANCE):
            changes.append((CourseStatus.TERMINATION, p.status, p.start + timedelta(weeks=16)))
        return [change for change in changes if _order(change[1]) <= _order(p.status)]

    def _weeks_active(self, p: Patient) -> int:
        if p.ended_at is None:
            return p.weeks
        return max(1, min(p.weeks, (p.ended_at - p.start).days // 7))

    def _session_times(self, p: Patient) -> list[datetime]:
        """Weekly for the first 16 weeks, monthly in maintenance; never in the future."""
        hour = 9 + p.therapist % 8
        first = p.start.replace(hour=hour, minute=0) + timedelta(days=1)
        weeks = [w for w in range(self._weeks_active(p)) if w < 16 or (w - 16) % 4 == 0]
        return [first + timedelta(weeks=w) for w in weeks if first + timedelta(weeks=w) < self.now]

    # Questionnaires ---------------------------------------------------------------------------------

    def questionnaires(self) -> str:
        pools = _answer_pools(self.rng)
        alerts = []
        rows = []
        rng = self.rng
        for p in self.patients:
            baseline = rng.randint(10, 23)
            improving = rng.random() < 0.8
            anxiety = rng.uniform(0.6, 0.9)
            weeks = self._weeks_active(p)
            therapist = self.therapists[p.therapist]
            for week in range(weeks):
                progress = week / 16
                level = baseline * (1 - 0.6 * min(progress, 1.0)) if improving else baseline + 3 * progress
                submitted = p.start + timedelta(
                    weeks=week, hours=rng.randint(-20, -2), minutes=rng.randint(0, 59)
                )
                submitted = min(submitted, self.now - timedelta(minutes=rng.randint(5, 600)))
                for code in INSTRUMENTS:
                    target = level if code == "phq9" else level * anxiety
                    jittered = min(LEVELS - 1, max(0, round(target + rng.uniform(-2, 2))))
                    scored = rng.choice(pools[code][jittered])
                    response_id = self.new_id()
                    when = submitted + timedelta(minutes=3 if code == "gad7" else 0)
                    rows.append(
                        (response_id, p.course_id, code, p.assignments[code], ResponseStatus.COMPLETED,
                         scored.answers, scored.total, scored.severity, scored.subscales, scored.flags,
                         when - timedelta(minutes=4), when, when, p.user_id)
                    )  # fmt: skip
                    p.events.append(
                        (when, False, "questionnaire_response.submit", "questionnaireresponse", str(response_id),
                         SUBMIT_DETAIL[code, scored.flagged])
                    )  # fmt: skip
                    if scored.flagged:
                        acknowledged = when < self.now - timedelta(days=2)
                        alerts.append(
                            (self.new_id(), p.course_id, AlertReason.SUICIDAL_IDEATION, f"{code} response {response_id}",
                             when, AlertStatus.ACKNOWLEDGED if acknowledged else AlertStatus.OPEN,
                             therapist.user_id if acknowledged else None,
                             when + timedelta(hours=3) if acknowledged else None,
                             "Phoned the patient; passive thoughts, no plan. Safety plan reviewed." if acknowledged
                             else "")
                        )  # fmt: skip
        names = [
            "id", "course_id", "instrument", "assignment_id", "status", "answers", "total", "severity",
            "subscales", "flags", "started_at", "updated_at", "submitted_at", "submitted_by_id",
        ]  # fmt: skip
        self._count(
            "questionnaire_responses",
            insert_rows(QuestionnaireResponse, names, rows, ready=["answers", "subscales", "flags"]),
        )
        alert_names = [
            "id", "course_id", "reason", "source", "created_at", "status", "acknowledged_by_id",
            "acknowledged_at", "follow_up",
        ]  # fmt: skip
        self._count("risk_alerts", insert_rows(RiskAlert, alert_names, alerts))
        return f"{self.counts['questionnaire_responses']:,} responses, {self.counts['risk_alerts']:,} risk alerts"

    # Diaries ----------------------------------------------------------------------------------------

    def diaries(self) -> str:
        rows = []
        rng = self.rng
        for p in self.patients:
            last_day = (p.ended_at or self.now).date()
            for back in range(DIARY_DAYS):
                if back and rng.random() < 0.3:  # most days; always the last one
                    continue
                day = last_day - timedelta(days=back + (1 if p.ended_at is None else 0))
                if day < p.start.date():
                    continue
                at = datetime(day.year, day.month, day.day, 20, rng.randint(0, 59), tzinfo=UTC)
                at = min(at, self.now - timedelta(minutes=1))
                entry_id = self.new_id()
                note = rng.choice(DIARY_NOTES) if rng.random() < 0.5 else ""
                rows.append((entry_id, p.course_id, day, rng.randint(2, 8), note, at, at))
                p.events.append((at, False, "diary.create", "diaryentry", str(entry_id), None))
        names = ["id", "course_id", "day", "mood", "note", "created_at", "updated_at"]
        self._count("diary_entries", insert_rows(DiaryEntry, names, rows))
        return f"{self.counts['diary_entries']:,} diary entries"

    # Messages ---------------------------------------------------------------------------------------

    def messages(self) -> str:
        threads, messages, read_states = [], [], []
        rng = self.rng
        next_id = (Message.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        for p in self.patients:
            therapist = self.therapists[p.therapist]
            count = rng.randint(2, 5)
            patient_first = rng.random() < 0.7
            sent = self.now - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 12))
            sent = max(sent, p.start + timedelta(hours=1))
            created = sent
            last_by = {True: 0, False: 0}  # by_therapist -> last id sent
            for n in range(count):
                by_therapist = (n % 2 == 0) != patient_first
                sender = therapist.user_id if by_therapist else p.user_id
                messages.append((next_id, p.thread_id, sender, rng.choice(MESSAGES), False, sent))
                action = "message.thread.start" if n == 0 else "message.send"
                detail = (
                    None if n == 0 else {"thread": str(p.thread_id), "attachments": 0, "auto_reply": False}
                )
                object_type, object_id = ("thread", str(p.thread_id)) if n == 0 else ("message", str(next_id))
                p.events.append((sent, by_therapist, action, object_type, object_id, detail))
                last_by[by_therapist] = next_id
                last_id = next_id
                next_id += 1
                sent = min(sent + timedelta(hours=rng.randint(1, 30)), self.now - timedelta(minutes=1))
            starter = p.user_id if patient_first else therapist.user_id
            last_at = messages[-1][5]
            threads.append((p.thread_id, p.care_team_id, rng.choice(SUBJECTS), starter, created, last_at))
            for by_therapist, user_id in ((False, p.user_id), (True, therapist.user_id)):
                # Each has read their own last message; most have read the other's too.
                read = last_id if rng.random() < 0.8 else max(last_by[by_therapist], 0)
                read_states.append((p.thread_id, user_id, read, last_at, read))
        self._count(
            "threads",
            insert_rows(Thread, ["id", "care_team_id", "subject", "started_by_id", "created_at", "last_message_at"],
                        threads),
        )  # fmt: skip
        self._count(
            "messages",
            insert_rows(
                Message, ["id", "thread_id", "sender_id", "body", "is_auto_reply", "sent_at"], messages
            ),
        )
        reset_sequences(Message)
        self._count(
            "read_states",
            insert_rows(
                ReadState, ["thread_id", "user_id", "last_read_id", "read_at", "notified_id"], read_states
            ),
        )
        return f"{self.counts['threads']:,} threads, {self.counts['messages']:,} messages"

    # Audit ------------------------------------------------------------------------------------------

    def audit(self) -> str:
        """The patients' events in time order, chained onto the chain's current head."""
        _lock_chain()  # PostgreSQL: no record() may append while the chain grows here
        events = []
        for p in self.patients:
            events.extend(self._patient_audit(p))
            p.events = []
        events.sort(key=lambda event: event[0])
        head = AuditHead.objects.filter(singleton=1).first()
        chain = _Chain(head.last_hash if head else GENESIS, progress=self._audit_progress(len(events)))
        names = [
            "at", "actor_id", "actor_email", "actor_role", "action", "object_type", "object_id", "patient_id",
            "ip", "detail", "prev_hash", "hash",
        ]  # fmt: skip
        inserted = insert_rows(AuditEvent, names, chain.rows(events), ready=names)
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        if inserted:
            if last is None or last[1] != chain.last_hash:
                raise RuntimeError("The audit rows were not stored in chain order.")
            AuditHead.objects.update_or_create(
                singleton=1, defaults={"last_event_id": last[0], "last_hash": chain.last_hash}
            )
        self._count("audit_events", inserted)
        return f"{inserted:,} audit events (hash chain continued from {'the head' if head else 'the start'})"

    def _audit_progress(self, total: int) -> Callable[[int], None]:
        step = 250_000
        started = time.perf_counter()

        def report(done: int) -> None:
            if done % step == 0 and total > step:
                elapsed = time.perf_counter() - started
                self.log(f"    audit: {done:,} of {total:,} rows hashed and stored ({elapsed:.0f} s)")

        return report

    def _patient_audit(self, p: Patient) -> list[tuple]:
        """Exactly ``audit_per_patient`` rows: what was written, then reads to fill the budget."""
        therapist = self.therapists[p.therapist]
        patient = _Person(p.user_id, patient_email(p.number), Role.PATIENT, _ip("10", p.number))
        staff = _Person(therapist.user_id, therapist.email, Role.THERAPIST, _ip("172.16", p.therapist + 1))
        own = p.events[: self.audit_per_patient]
        rng = self.rng
        end = p.ended_at or self.now
        span = max(60.0, (end - p.start).total_seconds())
        reads = (
            (staff, "patient.read", "careteam", str(p.care_team_id)),
            (staff, "course.read", "treatmentcourse", str(p.course_id)),
            (staff, "course.read", "treatmentcourse", str(p.course_id)),
            (staff, "diary.read", "treatmentcourse", str(p.course_id)),
            (staff, "course.summary.read", "treatmentcourse", str(p.course_id)),
            (staff, "message.thread.read", "thread", str(p.thread_id)),
            (patient, "patient.home.read", "careteam", str(p.care_team_id)),
            (patient, "patient.home.read", "careteam", str(p.care_team_id)),
            (patient, "message.thread.read", "thread", str(p.thread_id)),
        )
        rows = [
            (at, staff if by_therapist else patient, action, object_type, object_id, patient, detail)
            for at, by_therapist, action, object_type, object_id, detail in own
        ]
        for _ in range(self.audit_per_patient - len(own)):
            at = p.start + timedelta(seconds=rng.random() * span)
            actor, action, object_type, object_id = rng.choice(reads)
            rows.append((at, actor, action, object_type, object_id, patient, None))
        return rows


class _Person:
    """An actor or patient of audit rows: the id as hashed and as stored."""

    __slots__ = ("db_id", "email", "id_text", "ip", "role")

    def __init__(self, user_id: uuid.UUID, email: str, role: str, ip: str):
        self.id_text = str(user_id)
        self.db_id = db_value(AuditEvent, "actor_id", user_id)
        self.email, self.role, self.ip = email, role, ip


class _Chain:
    """Hashes rows exactly as ``AuditEvent.compute_hash`` does (checked on the first row), and gives
    them as the database takes them."""

    def __init__(self, last_hash: str, progress: Callable[[int], None] = lambda done: None):
        self.last_hash = last_hash
        self.checked = False
        self.progress = progress

    def rows(self, events):
        """Rows as the database takes them. The canonical JSON is written out by hand (its values are
        ids, emails, action names, ISO times and addresses: nothing JSON would escape); the first
        row is checked against ``compute_hash`` and the tests verify whole chains."""
        dumps, sha256 = json.dumps, hashlib.sha256
        sqlite = connection.vendor == "sqlite"
        shared = {id(detail): detail for detail in (*SUBMIT_DETAIL.values(), *ASSIGN_DETAIL.values())}
        encoded = {
            key: (dumps(detail, sort_keys=True, separators=(",", ":")), dumps(detail))
            for key, detail in shared.items()
        }
        encoded[id(None)] = ("{}", "{}")
        for done, (at, actor, action, object_type, object_id, patient, detail) in enumerate(events, start=1):
            iso = at.isoformat()
            if not iso.endswith("+00:00"):
                raise ValueError(f"Audit times must be in UTC: {iso}")
            pair = encoded.get(id(detail))
            if pair is None:
                pair = (dumps(detail, sort_keys=True, separators=(",", ":")), dumps(detail))
            canonical, stored = pair
            text = (
                f'{{"action":"{action}","actor":"{actor.id_text}","actor_email":"{actor.email}",'
                f'"actor_role":"{actor.role}","at":"{iso}","detail":{canonical},"ip":"{actor.ip}",'
                f'"object_id":"{object_id}","object_type":"{object_type}","patient":"{patient.id_text}"}}'
            )
            digest = sha256((self.last_hash + text).encode()).hexdigest()
            if not self.checked:
                self._check(digest, at, actor, action, object_type, object_id, patient, detail)
            # SQLite keeps UTC as naive text with a space, as Django's backend writes it.
            stored_at = iso[:-6].replace("T", " ", 1) if sqlite else at
            row = (stored_at, actor.db_id, actor.email, actor.role, action, object_type, object_id,
                   patient.db_id, actor.ip, stored, self.last_hash, digest)  # fmt: skip
            self.last_hash = digest
            yield row
            self.progress(done)

    def _check(self, digest, at, actor, action, object_type, object_id, patient, detail):
        event = AuditEvent(
            at=at, actor_id=uuid.UUID(actor.id_text), actor_email=actor.email, actor_role=actor.role,
            action=action, object_type=object_type, object_id=object_id, patient_id=uuid.UUID(patient.id_text),
            ip=actor.ip, detail=detail or {}, prev_hash=self.last_hash,
        )  # fmt: skip
        if event.compute_hash() != digest:
            raise RuntimeError("seed_bench hashes audit rows differently from AuditEvent.compute_hash.")
        self.checked = True


def _order(status: str) -> int:
    return [
        CourseStatus.INTAKE,
        CourseStatus.INITIAL,
        CourseStatus.MIDDLE,
        CourseStatus.TERMINATION,
        CourseStatus.MAINTENANCE,
        CourseStatus.COMPLETED,
        CourseStatus.DISCONTINUED,
    ].index(CourseStatus(status))


def _ip(prefix: str, number: int) -> str:
    if prefix == "10":
        return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
    return f"{prefix}.{number >> 8 & 255}.{number & 255}"


def _fast_postgresql() -> None:
    """PostgreSQL, for this transaction only: skip the foreign-key triggers (every reference is
    made here, to rows made here or read from the database) when the role may (superuser), and
    do not wait for the WAL flush at commit. Without the right, the checks simply run."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")


class _fast_sqlite:
    """SQLite: no fsync and a large page cache while seeding (this connection only)."""

    def __enter__(self):
        self.saved = None
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous")
                synchronous = cursor.fetchone()[0]
                cursor.execute("PRAGMA cache_size")
                cache_size = cursor.fetchone()[0]
                self.saved = (synchronous, cache_size)
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous = {int(self.saved[0])}")
                cursor.execute(f"PRAGMA cache_size = {int(self.saved[1])}")
        return False


class BenchDataExists(Exception):
    """Bench accounts are there already: one practice per database."""


class BadArguments(ValueError):
    pass


def check_arguments(patients: int, therapists: int | None, audit_per_patient: int = AUDIT_PER_PATIENT) -> int:
    """The number of therapists to use; BadArguments says what is wrong."""
    if patients < 1:
        raise BadArguments(f"--patients must be at least 1 (got {patients}).")
    therapists = default_therapists(patients) if therapists is None else therapists
    if not 1 <= therapists <= patients:
        raise BadArguments(
            f"--therapists must be from 1 to the number of patients, {patients} (got {therapists})."
        )
    if audit_per_patient < 0:
        raise BadArguments(f"audit_per_patient cannot be negative (got {audit_per_patient}).")
    return therapists


def refuse_if_seeded() -> None:
    existing = bench_users().count()
    if existing:
        raise BenchDataExists(
            f"{existing:,} bench accounts (@{BENCH_DOMAIN}) exist already: seed_bench builds a whole practice "
            "and will not mix two. Use an empty database (another DATABASE_URL) or flush this one."
        )


def _analyze() -> str:
    """After a bulk load the planner's statistics describe empty tables until autovacuum (PostgreSQL)
    or nothing (SQLite) catches up; as after any bulk load, gather them, so that the benchmark
    measures the plans a running clinic gets (issue 7)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return "planner statistics gathered (ANALYZE)"


def seed(
    *,
    patients: int,
    therapists: int | None = None,
    audit_per_patient: int = AUDIT_PER_PATIENT,
    log: Callable[[str], None] = lambda line: None,
) -> BenchSeeder:
    """Build the data set in one transaction; refuses (BenchDataExists) when bench accounts exist."""
    therapists = check_arguments(patients, therapists, audit_per_patient)
    refuse_if_seeded()
    seeder = BenchSeeder(
        patients=patients, therapists=therapists, audit_per_patient=audit_per_patient, log=log
    )
    seeder.run()
    return seeder
