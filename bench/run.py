"""make bench: the performance targets P1-P9 of docs/quality.md, measured in one run, one table.

1. A throwaway database: a temporary SQLite file, or with DATABASE_URL naming PostgreSQL a
   database "<name>_bench" on that server (and "<name>_bench_small" for P1), dropped at the end.
   Migrated, then ``manage.py seed_bench --patients N`` (P8 is its wall time); a copy of the
   migrated database gets ``--patients 100`` for P1's small data set.
2. P1 in-process (a subprocess per database): django.test.Client and CaptureQueriesContext count
   the queries of the therapist caseload (home), a patient chart (course overview), the patient
   home and the therapist's inbox, at 100 and at N patients: the second request of each page,
   with the cache emptied before it (the page built from the database, as the first view after a
   change sees it), BEGIN and COMMIT left out.
3. The real server: uvicorn (ipt.serve), 2 workers, DEBUG off, REDIS_URL when set, IPT_BENCH_HELLO=1 (the
   bare "hello" view at /bench/hello). Sessions are signed in directly (password and, for staff,
   the TOTP device), as the browser would hold them.
4. A small asyncio HTTP/1.1 keep-alive client in this process (16 concurrent clients), phases of
   ``--seconds`` each: hello alone (the baseline), caseload alone (P3 = caseload/hello
   throughput), then the four pages mixed (P2 p95 per page) while one more client starts and
   submits PHQ-9 questionnaires through the patient's pages (P4 p95 of the submission).
5. P7: RSS of the workers after the load, then the RSS added by 1,000 idle websockets on
   ws/notifications/. P5 and P6 by running bench/p5_signaling_relay.py and bench/p6_call_setup.py
   (``--skip-p5 --skip-p6`` leave them out: they take minutes). P9 from test-artifacts/suite-seconds,
   which ``make test`` writes.

The exit status is 0 when the measurement ran, whatever the figures; non-zero only when the
harness itself failed. The client shares the machine with the server, so the figures are a lower
bound of what the server alone does.

    .venv/bin/python bench/run.py [--patients 10000] [--seconds 10] [--skip-p5] [--skip-p6]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ipt REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/run.py
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from _server import Server, ServerDidNotStart

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

CLIENTS = 16
SMALL_PATIENTS = 100
WEBSOCKETS = 1000
PAGES = ("caseload", "chart", "patient home", "inbox")

# Targets (docs/quality.md)
P1_MAX_QUERIES = 15
P2_P95_MS = 50.0
P3_RATIO = 0.30
P4_P95_MS = 40.0
P5_P99_MS, P5_RATE, P5_P99_REDIS_MS = 10.0, 5000.0, 25.0
P6_MEDIAN_S, P6_MAX_S = 0.4, 1.0
P7_RSS_MB, P7_WEBSOCKETS_MB = 250.0, 100.0
P8_SECONDS = 180.0
P9_SECONDS = 600.0


class HarnessError(RuntimeError):
    """The benchmark could not measure (as opposed to a target not met)."""


# Databases ---------------------------------------------------------------------------------------


class Databases:
    """The bench database and P1's small one: created here, removed by ``drop``."""

    def __init__(self):
        configured = os.environ.get("DATABASE_URL", "")
        self.postgres = configured.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urllib.parse.urlsplit(configured)
            base = parts.path.lstrip("/") or "ipt"
            self.names = (base + "_bench", base + "_bench_small")
            self.admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
            self.url, self.small_url = (
                urllib.parse.urlunsplit(parts._replace(path="/" + n)) for n in self.names
            )
            self._execute(f'DROP DATABASE IF EXISTS "{self.names[0]}" WITH (FORCE)')
            self._execute(f'DROP DATABASE IF EXISTS "{self.names[1]}" WITH (FORCE)')
            self._execute(f'CREATE DATABASE "{self.names[0]}"')
            self.label = f"PostgreSQL ({self.names[0]})"
        else:
            self.directory = Path(tempfile.mkdtemp(prefix="ipt-bench-"))
            self.path, self.small_path = self.directory / "bench.sqlite3", self.directory / "small.sqlite3"
            self.url, self.small_url = f"sqlite:///{self.path}", f"sqlite:///{self.small_path}"
            self.label = f"SQLite ({self.path})"

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(statement)

    def copy_to_small(self) -> None:
        """The migrated, still empty bench database becomes the small one's starting point."""
        if self.postgres:
            self._execute(f'CREATE DATABASE "{self.names[1]}" TEMPLATE "{self.names[0]}"')
        else:
            shutil.copyfile(self.path, self.small_path)

    def drop(self) -> None:
        if self.postgres:
            for name in self.names:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            shutil.rmtree(self.directory, ignore_errors=True)


def child_env(database_url: str, **extra: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ipt.settings", "DATABASE_URL": database_url}
    env.update({"DEBUG": "false", "PYTHONUNBUFFERED": "1", **extra})
    env.pop("IPT_ENV", None)
    env.pop("REDIS_URL", None)  # migrate and seed need no channel layer; the server gets it back
    return env


def manage(arguments: list[str], database_url: str, log: Path) -> float:
    """Run manage.py; its wall time in seconds. Output goes to ``log`` (its tail on failure)."""
    started = time.perf_counter()
    with log.open("ab") as output:
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env=child_env(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise HarnessError(f"manage.py {' '.join(arguments)} failed ({result.returncode}):\n{tail}")
    return time.perf_counter() - started


# Who signs in, and where they go (shared by P1 and the load) ---------------------------------------


def pick_people(count: int) -> dict:
    """Therapists (with a caseload and a confirmed TOTP device), a course of each, patients with a
    current course, and patients with an active PHQ-9 assignment on their current course.
    Spread over the data set, deterministic."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ipt.accounts.models import Role, User
    from ipt.care.access import current_course_of_patient
    from ipt.care.models import TreatmentCourse
    from ipt.measures.models import MeasureAssignment

    def spread(items: list, n: int) -> list:
        if len(items) <= n:
            return items
        step = len(items) / n
        return [items[int(i * step)] for i in range(n)]

    staff_with_device = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    therapists = spread(
        list(
            User.objects.filter(role=Role.THERAPIST, is_active=True, pk__in=staff_with_device)
            .filter(caseload__isnull=False)
            .distinct()
            .order_by("email")
        ),
        count,
    )
    charts = []
    for therapist in therapists:
        course = TreatmentCourse.objects.filter(care_team__therapist=therapist).order_by("pk").first()
        charts.append(course)
    patients = spread(
        list(
            User.objects.filter(role=Role.PATIENT, is_active=True, care_team__isnull=False).order_by("email")
        ),
        4 * count,
    )
    home_patients = [p for p in patients[0::2] if current_course_of_patient(p) is not None][:count]
    submitters = []
    for patient in patients[1::2]:
        course = current_course_of_patient(patient)
        if course is None:
            continue
        assignment = MeasureAssignment.objects.filter(
            course=course, instrument="phq9", is_active=True
        ).first()
        if assignment is not None:
            submitters.append((patient, assignment))
        if len(submitters) >= count:
            break
    return {"therapists": therapists, "charts": charts, "patients": home_patients, "submitters": submitters}


def sign_in(user):
    """A django.test.Client with a fully signed-in session (password and, for staff, TOTP)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ipt.accounts import sessions

    client = Client()
    client.force_login(user, backend="ipt.accounts.backends.UserBackend")
    session = client.session
    sessions.start(session)
    if user.is_staff_role:
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client


def page_paths(people: dict, index: int) -> dict:
    """The four P1/P2 pages: name -> (who, path)."""
    therapists, charts, patients = people["therapists"], people["charts"], people["patients"]
    therapist = therapists[index % len(therapists)]
    return {
        "caseload": (therapist, "/"),
        "chart": (therapist, f"/courses/{charts[index % len(charts)].pk}/"),
        "patient home": (patients[index % len(patients)], "/"),
        "inbox": (therapist, "/messages/"),
    }


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def is_transaction_control(sql: str) -> bool:
    """BEGIN and COMMIT are not queries of the page: SQLite's driver shows them to Django's query
    log (``BEGIN IMMEDIATE``), PostgreSQL's does not; ipt/tests/test_query_counts.py leaves out the
    savepoints for the same reason."""
    return sql.lstrip().upper().startswith(TRANSACTION_CONTROL)


def count_queries(users: int = 5) -> dict:
    """P1, run inside a process whose DATABASE_URL is the database to count on: each page's query
    count for up to ``users`` people spread over the data set (their data differ: a page may run a
    query more for a patient with an open alert, say), and the chart of a course in each phase.
    -> {page: [count, ...]}"""
    import django

    django.setup()
    from ipt.benchmarking.page_queries import uncached_page_queries

    people = pick_people(users)
    if not (people["therapists"] and people["patients"]):
        raise HarnessError("P1: no therapist with a caseload or no patient with a course in the data")
    clients: dict[int, object] = {}
    counts: dict[str, list] = {}
    for index in range(users):
        for name, (user, path) in page_paths(people, index).items():
            client = clients.get(user.pk) or clients.setdefault(user.pk, sign_in(user))
            response, queries = uncached_page_queries(client, path)
            queries = [sql for sql in queries if not is_transaction_control(sql)]
            count = len(queries) if response.status_code == 200 else f"HTTP {response.status_code}"
            counts.setdefault(name, []).append(count)
    # A chart shows more in some phases than in others: one course of each phase, so that the
    # small and the large data set are compared on the same kinds of course.
    for course in charts_of_each_phase():
        therapist = course.care_team.therapist
        client = clients.get(therapist.pk) or clients.setdefault(therapist.pk, sign_in(therapist))
        path = f"/courses/{course.pk}/"
        response, queries = uncached_page_queries(client, path)
        queries = [sql for sql in queries if not is_transaction_control(sql)]
        count = len(queries) if response.status_code == 200 else f"HTTP {response.status_code}"
        counts.setdefault("chart", []).append(count)
    return counts


def charts_of_each_phase() -> list:
    """The first course (by id) of each phase whose therapist can sign in with TOTP."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ipt.care.models import CourseStatus, TreatmentCourse

    staff_with_device = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    courses = TreatmentCourse.objects.filter(care_team__therapist__in=staff_with_device).select_related(
        "care_team__therapist"
    )
    return [
        course
        for status in CourseStatus.values
        if (course := courses.filter(status=status).order_by("pk").first()) is not None
    ]


def p1_counts(database_url: str, log: Path) -> dict:
    with log.open("ab") as output:
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, __file__, "--count-queries"],
            cwd=BASE_DIR,
            env=child_env(database_url),
            stdout=subprocess.PIPE,
            stderr=output,
            check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise HarnessError(f"P1 query count failed:\n{tail}")
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


# The HTTP client ---------------------------------------------------------------------------------


class Connection:
    """One HTTP/1.1 keep-alive connection; enough of the protocol for this server."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(
        self, method: str, path: str, cookie: str, body: bytes = b"", headers: dict | None = None
    ) -> tuple[int, dict, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "User-Agent: ipt-bench"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if method != "GET" or body:
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(message)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if fresh or attempt == 2:  # a stale keep-alive connection gets one retry
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, dict, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.read()
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body


@dataclass
class Stats:
    latencies: dict = field(default_factory=dict)  # name -> [seconds]
    errors: dict = field(default_factory=dict)  # name -> {status: count}
    elapsed: float = 0.0
    server_cpu: float = 0.0  # seconds of CPU the server's workers used during the phase
    client_cpu: float = 0.0  # and this process (the client)

    def total(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu / self.total() if self.total() else float("nan")

    def add(self, name: str, seconds: float, ok: bool, status) -> None:
        if ok:
            self.latencies.setdefault(name, []).append(seconds)
        else:
            bucket = self.errors.setdefault(name, {})
            bucket[status] = bucket.get(status, 0) + 1

    def count(self, name: str) -> int:
        return len(self.latencies.get(name, []))

    def rate(self, name: str) -> float:
        return self.count(name) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, name: str, fraction: float) -> float:
        values = sorted(self.latencies.get(name, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(fraction * len(values)))] * 1000

    def error_text(self, name: str) -> str:
        bucket = self.errors.get(name)
        return ", ".join(f"{count}x {status}" for status, count in bucket.items()) if bucket else ""


@dataclass
class Request:
    name: str
    path: str
    cookie: str
    expect: int = 200


async def load_client(
    port: int, plan: list[Request], stop_at: float, stats: Stats, offset: int, interval: float = 0.0
) -> None:
    """Requests back to back; or, with ``interval``, one every ``interval`` seconds, timed from when
    it was due (a client that falls behind counts its wait, as a person would see it)."""
    connection = Connection(port)
    index = offset
    due = time.perf_counter() + interval * ((offset * 0.618) % 1)  # spread the clients' starts
    try:
        while time.perf_counter() < stop_at:
            if interval:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            request = plan[index % len(plan)]
            index += 1
            started = due if interval else time.perf_counter()
            due += interval
            try:
                status, _headers, _body = await connection.request("GET", request.path, request.cookie)
            except (OSError, asyncio.IncompleteReadError) as error:
                stats.add(request.name, 0, False, type(error).__name__)
                await connection.close()
                await asyncio.sleep(0.05)
                continue
            stats.add(request.name, time.perf_counter() - started, status == request.expect, status)
    finally:
        await connection.close()


CSRF_SECRET = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


async def submitter(
    port: int, people: list[tuple[str, str]], stop_at: float, stats: Stats, rate: float
) -> None:
    """P4: as patients, start a PHQ-9 and submit it (score, store, alert, audit), ``rate`` per second.
    One submission in five answers item 9 above 0, which raises a risk alert."""
    connection = Connection(port)
    interval = 1.0 / rate
    turn = 0
    next_start = time.perf_counter()
    try:
        while time.perf_counter() < stop_at:
            cookie, assignment_id = people[turn % len(people)]
            cookie = f"{cookie}; csrftoken={CSRF_SECRET}"
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": CSRF_SECRET}
            form = urllib.parse.urlencode({"csrfmiddlewaretoken": CSRF_SECRET, "intent": "start"}).encode()
            started = time.perf_counter()
            status, response_headers, _ = await connection.request(
                "POST", f"/my/questionnaires/start/{assignment_id}/", cookie, form, headers
            )
            stats.add("start", time.perf_counter() - started, status == 302, status)
            location = response_headers.get("location", "")
            if status == 302 and location:
                answers = {f"q{i}": str((turn + i) % 4) for i in range(1, 9)}
                answers["q9"] = "1" if turn % 5 == 0 else "0"
                form = urllib.parse.urlencode(
                    {"csrfmiddlewaretoken": CSRF_SECRET, "intent": "submit", **answers}
                ).encode()
                path = urllib.parse.urlsplit(location).path
                started = time.perf_counter()
                status, _headers, _ = await connection.request("POST", path, cookie, form, headers)
                stats.add("submit", time.perf_counter() - started, status == 302, status)
            turn += 1
            next_start += interval
            await asyncio.sleep(max(0.0, next_start - time.perf_counter()))
    finally:
        await connection.close()


async def run_phase(
    server: "Server",
    plans: list[list[Request]],
    seconds: float,
    submitters: list | None = None,
    rate: float = 0,
    pages_per_second: float = 0,
) -> Stats:
    """``plans``: one list of requests per client, each client going round its list, back to back
    or, with ``pages_per_second``, paced to that rate in all."""
    port = server.port
    stats = Stats()
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    stop_at = started + seconds
    interval = len(plans) / pages_per_second if pages_per_second else 0.0
    tasks = [load_client(port, plan, stop_at, stats, i, interval) for i, plan in enumerate(plans)]
    if submitters:
        tasks.append(submitter(port, submitters, stop_at, stats, rate))
    await asyncio.gather(*tasks)
    stats.elapsed = time.perf_counter() - started
    stats.server_cpu = server.cpu_seconds() - server_cpu
    stats.client_cpu = time.process_time() - client_cpu
    return stats


async def idle_websockets(server: Server, cookies: list[str], count: int) -> tuple[int, float, float, float]:
    """Open ``count`` websockets on ws/notifications/, wait, measure; -> (open, before, after, seconds)."""
    from websockets.asyncio.client import connect

    url = server.url.replace("http://", "ws://") + "/ws/notifications/"
    limit = asyncio.Semaphore(50)

    async def open_one(i: int):
        async with limit:
            try:
                return await connect(
                    url,
                    origin=server.url,
                    additional_headers={"Cookie": cookies[i % len(cookies)]},
                    open_timeout=60,
                )
            except Exception:
                return None

    await asyncio.sleep(1.0)
    before = sum(server.worker_rss())
    started = time.perf_counter()
    sockets = await asyncio.gather(*(open_one(i) for i in range(count)))
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(3.0)
    live = [s for s in sockets if s is not None and s.state.name == "OPEN"]
    after = sum(server.worker_rss())
    for start in range(0, len(sockets), 100):
        batch = [s for s in sockets[start : start + 100] if s is not None]
        await asyncio.gather(*(s.close() for s in batch), return_exceptions=True)
    return len(live), before, after, connect_seconds


def run_async(coroutine):
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


# P5, P6, P9 --------------------------------------------------------------------------------------


ORIGINAL_ENV = dict(os.environ)  # P5 and P6 make their own databases from the caller's settings


def run_script(script: str, arguments: list[str], log: Path) -> list | None:
    output_path = log.with_suffix(".json")
    with log.open("ab") as output:
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, str(BASE_DIR / "bench" / script), *arguments, "--json", str(output_path)],
            cwd=BASE_DIR,
            env=ORIGINAL_ENV,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if not output_path.exists():
        print(f"  {script} wrote no figures (exit status {result.returncode}); see {log}", flush=True)
        return None
    return json.loads(output_path.read_text())


def suite_seconds() -> tuple[float | None, str]:
    path = BASE_DIR / "test-artifacts" / "suite-seconds"
    if not path.exists():
        return None, "not measured (no test-artifacts/suite-seconds: run make test)"
    lines = path.read_text().splitlines()
    try:
        return float(lines[0].split()[0]), (lines[1] if len(lines) > 1 else "")
    except (IndexError, ValueError):
        return None, "not measured (test-artifacts/suite-seconds unreadable)"


# The table ---------------------------------------------------------------------------------------


class Table:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, ident: str, what: str, figure: str, target: str, ok: bool | None) -> None:
        verdict = "n/a" if ok is None else ("pass" if ok else "FAIL")
        self.rows.append((ident, what, figure, target, verdict))

    def print(self) -> None:
        header = ("id", "what", "figure", "target", "result")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(5)]
        line = "  ".join("{:<" + str(w) + "}" for w in widths)
        print(line.format(*header))
        print(line.format(*("-" * w for w in widths)))
        for row in self.rows:
            print(line.format(*row))


def count_range(counts: list) -> str:
    """P1 counts of several people: "16", "16-19", or the first failure."""
    failed = [c for c in counts if not isinstance(c, int)]
    if failed or not counts:
        return str(failed[0]) if failed else "none"
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


def paced_shares(text: str) -> list[float]:
    shares = [float(share) for share in text.split(",") if share.strip()]
    if any(share <= 0 for share in shares):
        raise argparse.ArgumentTypeError("each share of the back-to-back rate must be above 0")
    return shares


def ms(value: float) -> str:
    return "n/a" if value != value else f"{value:.1f} ms"  # NaN: nothing measured


# Main --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10000, help="bench data set size (default 10000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per load phase (default 10)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent HTTP clients (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--submit-rate", type=float, default=10.0, help="P4 submissions/s (default 10)")
    parser.add_argument("--websockets", type=int, default=WEBSOCKETS, help="P7 idle websockets (1000)")
    parser.add_argument(
        "--paced",
        type=paced_shares,
        default=[0.25, 0.5, 0.75],
        help="shares of the back-to-back page rate to measure paced (default 0.25,0.5,0.75; '' for none)",
    )
    parser.add_argument("--skip-p5", action="store_true", help="leave out P5 (about 1 minute)")
    parser.add_argument("--skip-p6", action="store_true", help="leave out P6 (headless Chromium, minutes)")
    parser.add_argument(
        "--keep-database", action="store_true", help="keep the bench databases (to profile a page after)"
    )
    parser.add_argument("--count-queries", action="store_true", help=argparse.SUPPRESS)  # P1 child
    arguments = parser.parse_args()

    if arguments.count_queries:
        print(json.dumps(count_queries()))
        return 0

    redis_url = os.environ.get("REDIS_URL", "")
    logs = Path(tempfile.mkdtemp(prefix="ipt-bench-logs-"))
    table = Table()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"make bench: {arguments.patients} patients, {arguments.clients} clients, {arguments.workers} workers, "
        f"{arguments.seconds:g} s per phase; {os.cpu_count()} CPUs, load average {load}; logs in {logs}",
        flush=True,
    )
    databases = Databases()
    server = None
    try:
        # Data ---------------------------------------------------------------------------------
        step = time.perf_counter()
        manage(["migrate", "--no-input", "--verbosity", "0"], databases.url, logs / "migrate.log")
        databases.copy_to_small()
        print(f"  migrated in {time.perf_counter() - step:.0f} s", flush=True)
        small_args = ["seed_bench", "--patients", str(SMALL_PATIENTS)]
        big_args = ["seed_bench", "--patients", str(arguments.patients)]
        manage(small_args, databases.small_url, logs / "seed-small.log")
        seed_seconds = manage(big_args, databases.url, logs / "seed.log")
        print(f"  {' '.join(big_args)}: {seed_seconds:.0f} s", flush=True)

        # P1 -----------------------------------------------------------------------------------
        small_counts = p1_counts(databases.small_url, logs / "p1-small.log")
        big_counts = p1_counts(databases.url, logs / "p1.log")
        print(
            f"  P1 queries at {SMALL_PATIENTS}: {small_counts}; at {arguments.patients}: {big_counts}",
            flush=True,
        )

        # Sessions and paths -------------------------------------------------------------------
        own_env = child_env(databases.url)  # this process: the bench database, no Redis
        os.environ.clear()
        os.environ.update(own_env)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections

        people = pick_people(arguments.clients)
        if not (people["therapists"] and people["patients"]):
            raise HarnessError("no therapist with a caseload or no patient with a course in the data")
        cookie_of: dict = {}

        def cookie(user) -> str:
            if user.pk not in cookie_of:
                client = sign_in(user)
                cookie_of[user.pk] = (
                    f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
                )
            return cookie_of[user.pk]

        mixed_plans, caseload_plans, hello_plans, signed_in_hello_plans = [], [], [], []
        for i in range(arguments.clients):
            pages = page_paths(people, i)
            plan = [Request(name, path, cookie(user)) for name, (user, path) in pages.items()]
            mixed_plans.append(plan[i % 4 :] + plan[: i % 4])
            caseload_plans.append([plan[0]])
            hello_plans.append([Request("hello", "/bench/hello", "")])
            signed_in_hello_plans.append([Request("hello", "/bench/hello", plan[0].cookie)])
        submitters = [(cookie(patient), str(assignment.pk)) for patient, assignment in people["submitters"]]
        socket_cookies = list(cookie_of.values())
        connections.close_all()

        # The server and the load --------------------------------------------------------------
        env = child_env(databases.url, REDIS_PREFIX=f"ipt-bench-{uuid.uuid4().hex[:8]}", IPT_BENCH_HELLO="1")
        if redis_url:
            env["REDIS_URL"] = redis_url
        try:
            server = Server(
                env, logs / "uvicorn.log", workers=arguments.workers, ready_path="/bench/hello", timeout=90
            )
        except ServerDidNotStart as error:
            raise HarnessError(str(error)) from error
        seconds = arguments.seconds

        async def drive():
            check = await run_phase(server, [[r] for r in mixed_plans[0]], 0.5)
            for name in PAGES:
                if name != "inbox" and check.count(name) == 0:
                    raise HarnessError(f"{name}: {check.error_text(name)} (are the sessions valid?)")
            await run_phase(server, mixed_plans, min(3.0, seconds))  # warm-up
            hello = await run_phase(server, hello_plans, seconds)
            signed_in_hello = await run_phase(server, signed_in_hello_plans, seconds)
            caseload = await run_phase(server, caseload_plans, seconds)
            mixed = await run_phase(server, mixed_plans, seconds, submitters, arguments.submit_rate)
            rss = server.worker_rss()
            saturated = sum(mixed.count(p) for p in PAGES) / mixed.elapsed
            paced = []
            for share in arguments.paced:
                rate = share * saturated
                stats = await run_phase(server, mixed_plans, seconds, submitters, arguments.submit_rate, rate)
                paced.append((share, rate, stats))
            sockets = await idle_websockets(server, socket_cookies, arguments.websockets)
            return hello, signed_in_hello, caseload, mixed, rss, paced, sockets

        hello, signed_in_hello, caseload, mixed, rss, paced, sockets = run_async(drive())
        open_sockets, rss_before, rss_after, connect_seconds = sockets
        server.stop()
        server = None
        hello_rate = hello.rate("hello")
        print(
            f"  hello {hello_rate:.0f}/s (p50 {ms(hello.percentile_ms('hello', 0.5))}); "
            f"caseload alone {caseload.rate('caseload'):.0f}/s; mixed phase {sum(mixed.count(p) for p in PAGES)} "
            f"pages, {mixed.count('submit')} submissions; {open_sockets} websockets in {connect_seconds:.1f} s",
            flush=True,
        )

        # P5, P6 -------------------------------------------------------------------------------
        p5 = p6 = None
        if not arguments.skip_p5:
            print("  P5: bench/p5_signaling_relay.py (a minute or two)", flush=True)
            p5 = run_script("p5_signaling_relay.py", ["--seconds", f"{min(seconds, 10):g}"], logs / "p5.log")
        if not arguments.skip_p6:
            print("  P6: bench/p6_call_setup.py (a minute or two)", flush=True)
            p6 = run_script("p6_call_setup.py", [], logs / "p6.log")

        # The table ----------------------------------------------------------------------------
        for name in PAGES:
            small, big = small_counts.get(name, []), big_counts.get(name, [])
            measured = all(isinstance(c, int) for c in small + big) and small and big
            ok = bool(measured) and max(small) == max(big) and max(big) <= P1_MAX_QUERIES
            table.add(
                "P1",
                f"queries: {name}",
                f"{count_range(small)} at {SMALL_PATIENTS}, {count_range(big)} at {arguments.patients} patients",
                f"same max, <= {P1_MAX_QUERIES}",
                ok,
            )
        for name in PAGES:
            p95 = mixed.percentile_ms(name, 0.95)
            errors = mixed.error_text(name)
            figure = f"p95 {ms(p95)} (p50 {ms(mixed.percentile_ms(name, 0.5))}, n={mixed.count(name)})"
            if errors:
                figure += f"; errors {errors}"
            table.add(
                "P2",
                f"{name}, {arguments.clients} clients",
                figure,
                f"p95 <= {P2_P95_MS:g} ms",
                not errors and p95 <= P2_P95_MS,
            )
        ratio = caseload.rate("caseload") / hello_rate if hello_rate else 0.0
        table.add(
            "P3",
            "caseload / hello throughput",
            f"{ratio:.2f} ({caseload.rate('caseload'):.0f}/s / {hello_rate:.0f}/s)",
            f">= {P3_RATIO:.2f}",
            ratio >= P3_RATIO and not caseload.errors,
        )
        if submitters:
            p95 = mixed.percentile_ms("submit", 0.95)
            errors = mixed.error_text("submit") or mixed.error_text("start")
            figure = (
                f"p95 {ms(p95)} (p50 {ms(mixed.percentile_ms('submit', 0.5))}, n={mixed.count('submit')})"
            )
            table.add(
                "P4",
                "PHQ-9 submission under P2 load",
                figure + (f"; errors {errors}" if errors else ""),
                f"p95 <= {P4_P95_MS:g} ms",
                not errors and p95 <= P4_P95_MS,
            )
        else:
            table.add(
                "P4",
                "PHQ-9 submission under P2 load",
                "not measured: no active PHQ-9 assignment",
                f"p95 <= {P4_P95_MS:g} ms",
                None,
            )
        add_p5(table, p5, arguments.skip_p5, redis_url)
        add_p6(table, p6, arguments.skip_p6, redis_url)
        worst = max(rss) if rss else 0.0
        table.add(
            "P7",
            "worker RSS after the load",
            f"{worst:.0f} MB (workers {', '.join(f'{r:.0f}' for r in rss)})",
            f"<= {P7_RSS_MB:g} MB",
            worst <= P7_RSS_MB,
        )
        added = rss_after - rss_before
        complete = open_sockets == arguments.websockets
        table.add(
            "P7",
            f"RSS added by {arguments.websockets} idle websockets",
            f"+{added:.0f} MB ({open_sockets} open, all workers)",
            f"<= +{P7_WEBSOCKETS_MB:g} MB",
            complete and added <= P7_WEBSOCKETS_MB,
        )
        table.add(
            "P8",
            f"{big_args[0]} --patients {arguments.patients}",
            f"{seed_seconds:.0f} s",
            f"<= {P8_SECONDS:g} s",
            seed_seconds <= P8_SECONDS,
        )
        suite, note = suite_seconds()
        if suite is None:
            table.add("P9", "whole test suite", note, f"<= {P9_SECONDS:g} s", None)
        else:
            table.add(
                "P9",
                "whole test suite (last make test)",
                f"{suite:.0f} s ({note})",
                f"<= {P9_SECONDS:g} s",
                suite <= P9_SECONDS,
            )

        print()
        print(
            f"Database: {databases.label}; channel layer: "
            f"{'Redis' if redis_url else 'in-memory'}; {arguments.patients} patients"
        )
        print(
            f"Baseline: bare hello view {hello_rate:.0f} requests/s, p50 {ms(hello.percentile_ms('hello', 0.5))}, "
            f"p95 {ms(hello.percentile_ms('hello', 0.95))} ({arguments.clients} clients, {arguments.workers} "
            f"uvicorn workers, same run)"
        )
        print("Server CPU per request (workers' user+system time / requests; less sensitive to other load):")
        phases = (
            ("hello", hello),
            ("hello, signed in", signed_in_hello),
            ("caseload alone", caseload),
            ("mixed P2+P4 phase", mixed),
        )
        for label, phase in phases:
            share = phase.server_cpu / phase.elapsed / (os.cpu_count() or 1) if phase.elapsed else 0
            print(
                f"  {label:<18} {phase.cpu_ms_per_request():6.2f} ms CPU/request; workers used {share:.0%} "
                f"of the machine, this client {phase.client_cpu / phase.elapsed:.0%} of a core"
            )
        signed_in_rate = signed_in_hello.rate("hello")
        if signed_in_rate:
            print(
                f"Caseload / hello signed in as its therapist (session, user, TOTP device read): "
                f"{caseload.rate('caseload') / signed_in_rate:.2f} ({signed_in_rate:.0f}/s); not a target: "
                f"P3 is judged against the anonymous hello"
            )
        if paced:
            print(
                f"Paced load, not a target: the P2 pages and P4 submissions with the {arguments.clients} "
                f"clients pacing their pages to a share of the back-to-back rate above (where the p95 "
                f"meets {P2_P95_MS:g} / {P4_P95_MS:g} ms, these {arguments.workers} workers serve that load):"
            )
            for share, rate, stats in paced:
                pages = " / ".join(ms(stats.percentile_ms(name, 0.95)) for name in PAGES)
                errors = any(stats.errors.get(name) for name in [*PAGES, "start", "submit"])
                print(
                    f"  {share:.0%} ({rate:.0f} pages/s): p95 {' / '.join(PAGES)} {pages}; "
                    f"submission p95 {ms(stats.percentile_ms('submit', 0.95))}"
                    f"{'; errors' if errors else ''}"
                )
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"Machine: {os.cpu_count()} CPUs, load average now {load} (other processes share the CPUs)")
        print()
        table.print()
        return 0
    except HarnessError as error:
        print(f"\nmake bench could not measure: {error}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print(f"\nmake bench failed (logs in {logs})", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may never have been set up
            pass
        if arguments.keep_database:
            print(f"Kept: DATABASE_URL={databases.url} (and {databases.small_url}); remove them yourself")
        else:
            databases.drop()


def add_p5(table: Table, results: list | None, skipped: bool, redis_url: str) -> None:
    target = f"p99 <= {P5_P99_MS:g} ms, >= {P5_RATE:,.0f}/s"
    if skipped or results is None:
        table.add(
            "P5",
            "signaling relay, 1,000 sockets",
            "skipped (--skip-p5)" if skipped else "failed: see log",
            target,
            None,
        )
        return
    for result in results:
        latency, throughput = result["latency"], result["throughput"]
        p99_target = result["p99_target"]
        ok = latency["p99"] <= p99_target
        if result["processes"] == 1:
            ok = ok and latency["delivered"] >= P5_RATE * 0.98 and throughput["delivered"] >= P5_RATE
        table.add(
            "P5",
            f"relay: {result['title'].split(' (')[0].lower()}",
            f"p99 {latency['p99']:.1f} ms at {latency['delivered']:.0f}/s; saturation {throughput['delivered']:.0f}/s",
            f"p99 <= {p99_target:g} ms" + (f", >= {P5_RATE:,.0f}/s" if result["processes"] == 1 else ""),
            ok,
        )
    if not redis_url:
        table.add(
            "P5",
            "relay: two processes through Redis",
            "not measured: set REDIS_URL",
            f"p99 <= {P5_P99_REDIS_MS:g} ms",
            None,
        )


def add_p6(table: Table, results: list | None, skipped: bool, redis_url: str) -> None:
    target = f"median <= {P6_MEDIAN_S:g} s, max <= {P6_MAX_S:g} s"
    if skipped or results is None:
        table.add(
            "P6", "video call set-up", "skipped (--skip-p6)" if skipped else "failed: see log", target, None
        )
        return
    for result in results:
        table.add(
            "P6",
            f"call set-up: {result['name']}",
            f"median {result['median']:.2f} s, max {result['max']:.2f} s (n={result['n']})",
            target,
            result["median"] <= P6_MEDIAN_S and result["max"] <= P6_MAX_S,
        )
    if not redis_url:
        table.add(
            "P6", "call set-up: two processes through Redis", "not measured: set REDIS_URL", target, None
        )


if __name__ == "__main__":
    sys.exit(main())
