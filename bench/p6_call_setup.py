"""P6: video call set-up time, from the second peer's page load to ``connected`` on both sides.

Headless Chromium (fake camera and microphone, two browser contexts) against uvicorn on loopback.
The therapist's call page is open and waiting; the clock starts when the patient's page starts
loading and stops when both pages show ``connected`` (data-testid="call-state", the
RTCPeerConnection's connectionState). Both pages take their timestamps with Date.now(), the
clock this script reads too. N runs (default 10) per configuration:

- one server process (in-memory channel layer);
- with REDIS_URL: two server processes (patient on one, therapist on the other) sharing the
  Redis channel layer.

Targets (docs/quality.md, P6): median <= 0.4 s, max <= 1 s.

Data: a throwaway database (a temporary SQLite file; with DATABASE_URL naming PostgreSQL, a
database "<name>_p6" created and dropped on that server), migrated and filled with a therapist,
a patient, a course and an appointment already admitted.

    .venv/bin/python bench/p6_call_setup.py [--runs 10]
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/p6_call_setup.py
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from _server import Server

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-quic",
    "--no-first-run",
    "--allow-loopback-in-peer-connection",
]
TARGET_MEDIAN_S = 0.4
TARGET_MAX_S = 1.0
# As the project serves websockets (README): no per-message compression of the socket's frames.

# Records when the page's call-state first reads "connected" (Date.now(), epoch milliseconds).
CONNECTED_CLOCK = """
document.addEventListener("DOMContentLoaded", () => {
  const state = document.querySelector('[data-testid="call-state"]');
  if (!state) return;
  const check = () => {
    if (!window.__connectedAt && state.textContent === "connected") window.__connectedAt = Date.now();
  };
  new MutationObserver(check).observe(state, { childList: true, characterData: true, subtree: true });
  check();
});
"""


# The database ------------------------------------------------------------------------------------


def prepare_database() -> tuple[str, callable]:
    """A fresh database URL for this run and a function that removes it."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urllib.parse.urlsplit(configured)
        name = (parts.path.lstrip("/") or "ipt") + "_p6"
        admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return urllib.parse.urlunsplit(parts._replace(path="/" + name)), drop
    path = Path(tempfile.gettempdir()) / f"ipt-p6-{os.getpid()}.sqlite3"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


def seed() -> dict:
    """A therapist and patient with an appointment in progress; their signed-in session cookies."""
    from datetime import timedelta

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from ipt.accounts.models import CareTeam, Role
    from ipt.conftest import make_user, sign_in
    from ipt.scheduling.models import Appointment
    from ipt.telehealth import actions
    from ipt.telehealth.models import ConsentDocument, ConsentSignature, LocationCheck
    from ipt.visits.tests.conftest import make_course

    call_command("migrate", verbosity=0)
    therapist = make_user("p6.therapist@bench.test", Role.THERAPIST, first_name="Thea", last_name="Rapist")
    patient = make_user("p6.patient@bench.test", Role.PATIENT, first_name="Paula", last_name="Tient")
    care_team = CareTeam.objects.create(patient=patient, therapist=therapist)
    document = ConsentDocument.objects.order_by("-version").first() or ConsentDocument.objects.create(
        version=1, title="Telehealth consent", body="Sessions happen over video."
    )
    ConsentSignature.objects.create(document=document, patient=patient, typed_name="Paula Tient")
    start = timezone.now() - timedelta(minutes=1)
    appointment = Appointment.objects.create(
        therapist=therapist,
        patient=patient,
        course=make_course(care_team),
        start=start,
        end=start + timedelta(minutes=50),
        created_by=therapist,
    )
    LocationCheck.objects.create(
        appointment=appointment,
        country="IE",
        region="IE-D",
        emergency_address="1 Main Street",
        is_private=True,
        callback_number="+353 1 234 5678",
    )
    actions.admit_patient(actor=therapist, appointment=appointment)
    cookies = {}
    for role, user in (("therapist", therapist), ("patient", patient)):
        client = sign_in(Client(), user)
        cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"call_path": f"/appointments/{appointment.pk}/call/", "cookies": cookies}


# Servers -------------------------------------------------------------------------------------------


# Measuring --------------------------------------------------------------------------------------


MILESTONES = """
() => ["requestStart", "responseStart", "responseEnd", "domInteractive", "domContentLoadedEventEnd"].map((key) =>
  key + " " + Math.round(performance.getEntriesByType("navigation")[0][key])).join(", ") + ", " +
  performance.getEntriesByType("mark").filter((m) => m.name.startsWith("call:"))
  .map((m) => m.name.slice(5) + " " + Math.round(m.startTime)).join(", ") + "; files: " +
  performance.getEntriesByType("resource").map((r) => r.name.split("/").pop() + " " +
  Math.round(r.startTime) + "-" + Math.round(r.responseEnd) + (r.transferSize ? "" : " cached")).join(", ")
"""


def milestones(page) -> str:
    """The call.js milestones on the page's clock (ms since navigation start)."""
    return page.evaluate(MILESTONES)


def measure(
    browser, therapist_url: str, patient_url: str, data: dict, runs: int, verbose=False, servers=()
) -> tuple[list[float], float]:
    """Set-up times of ``runs`` calls, and the servers' CPU milliseconds per call (both pages'
    requests and sockets, the whole call from the therapist's page load to both pages closed)."""
    from django.conf import settings

    contexts = {}
    for role, url in (("therapist", therapist_url), ("patient", patient_url)):
        context = browser.new_context(base_url=url, permissions=["camera", "microphone"])
        context.set_default_timeout(20_000)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": data["cookies"][role], "url": url}]
        )
        context.add_init_script(CONNECTED_CLOCK)
        contexts[role] = context
    durations = []
    try:
        cpu_started = 0.0
        for _run in range(runs + 1):  # the first run warms up the servers and the browser
            if _run == 1:
                cpu_started = sum(server.cpu_seconds() for server in servers)
            therapist = contexts["therapist"].new_page()
            logged = []
            therapist.on("console", lambda m, logged=logged: logged.append(f"therapist {m.type}: {m.text}"))
            therapist.goto(data["call_path"])
            # The first page is ready: its socket is open and the server said hello (nobody there).
            therapist.locator("#peer-status", has_text="Waiting for").wait_for()
            patient = contexts["patient"].new_page()
            patient.on("console", lambda m, logged=logged: logged.append(f"patient {m.type}: {m.text}"))
            started = time.time() * 1000
            patient.goto(data["call_path"], wait_until="commit")
            for page in (therapist, patient):
                try:
                    page.wait_for_function("() => window.__connectedAt", polling=50)
                except Exception:
                    for name, other in (("therapist", therapist), ("patient", patient)):
                        state = other.get_by_test_id("call-state").text_content()
                        print(f"  run {_run} did not connect: {name} {state}; {milestones(other)}")
                    print("\n".join(logged))
                    raise
            connected = max(page.evaluate("() => window.__connectedAt") for page in (therapist, patient))
            durations.append((connected - started) / 1000)
            if verbose:
                print(
                    f"  run {_run}: {(connected - started) / 1000:.3f} s; patient page: {milestones(patient)}"
                )
            patient.close()
            therapist.close()
            time.sleep(0.3)  # let both servers see the sockets go
        cpu_per_call_ms = (
            1000 * (sum(server.cpu_seconds() for server in servers) - cpu_started) / max(1, runs)
        )
    finally:
        for context in contexts.values():
            context.close()
    return durations[1:], cpu_per_call_ms


def figures_of(name: str, durations: list[float], cpu_per_call_ms: float) -> dict:
    return {
        "name": name,
        "server_cpu_ms_per_call": cpu_per_call_ms,
        "n": len(durations),
        "median": statistics.median(durations),
        "max": max(durations),
        "durations": durations,
    }


def report(name: str, durations: list[float], cpu_per_call_ms: float) -> bool:
    median, worst = statistics.median(durations), max(durations)
    ok = median <= TARGET_MEDIAN_S and worst <= TARGET_MAX_S
    print(
        f"{name:<36} n={len(durations):<3} median {median:6.3f} s (target <= {TARGET_MEDIAN_S} s)   "
        f"max {worst:6.3f} s (target <= {TARGET_MAX_S} s)   {'PASS' if ok else 'FAIL'}   "
        f"server CPU {cpu_per_call_ms:.0f} ms per call"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--verbose", action="store_true", help="print each run and its milestones")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON (make bench)")
    arguments = parser.parse_args()

    database_url, drop_database = prepare_database()
    redis_url = os.environ.get("REDIS_URL", "")
    prefix = f"ipt-p6-{uuid.uuid4().hex[:10]}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ipt.settings",
            "DATABASE_URL": database_url,
            "REDIS_PREFIX": prefix,
            "DEBUG": "true",
        }
    )
    os.environ.pop("IPT_ENV", None)
    import django

    django.setup()
    servers: list[Server] = []
    logs = Path(tempfile.mkdtemp(prefix="ipt-p6-"))
    results = []
    figures: list[dict] = []
    try:
        data = seed()
        from playwright.sync_api import sync_playwright

        base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        base_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # settings reads below run beside Playwright's loop
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"P6 video call set-up, {arguments.runs} runs each, database {database_url.split(':')[0]}, "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                single_env = {key: value for key, value in base_env.items() if key != "REDIS_URL"}
                single = Server(single_env, logs / "single.log", timeout=30)
                servers.append(single)
                durations, cpu = measure(
                    browser, single.url, single.url, data, arguments.runs, arguments.verbose, [single]
                )
                results.append(report("one process", durations, cpu))
                figures.append(figures_of("one process", durations, cpu))
                single.stop()
                if redis_url:
                    first = Server(base_env, logs / "redis-a.log", timeout=30)
                    second = Server(base_env, logs / "redis-b.log", timeout=30)
                    servers += [first, second]
                    durations, cpu = measure(
                        browser,
                        first.url,
                        second.url,
                        data,
                        arguments.runs,
                        arguments.verbose,
                        [first, second],
                    )
                    results.append(report("two processes through Redis", durations, cpu))
                    figures.append(figures_of("two processes through Redis", durations, cpu))
                else:
                    print(f"{'two processes through Redis':<36} skipped: set REDIS_URL")
            finally:
                browser.close()
        if arguments.json:
            Path(arguments.json).write_text(json.dumps(figures, indent=2))
    finally:
        for server in servers:
            server.stop()
        drop_database()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
