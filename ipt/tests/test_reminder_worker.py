"""Reminders sent by the real task worker, received by a real SMTP server at the right instants.

The worker runs as its own process on the test database, the way `make run` runs it: the
database backend (`manage.py db_worker`) always, and RQ (`manage.py rqworker --with-scheduler`)
when REDIS_URL is set. ``asgi_live_server`` makes the SQLite test database a file another process
can open (and serves the links the reminder carries).
"""

import asyncio
import math
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from ipt.scheduling.actions import book_appointment, cancel_appointment, reschedule_appointment
from ipt.tests.conftest import BASE_DIR, _stop, _test_database_url

OFFSET_MINUTES = 1
LEAD_SECONDS = 4  # the first reminder falls due this long after booking
LATE_SECONDS = 4  # how long after its due instant a reminder may arrive
READY_TIMEOUT = 60


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def status_of(url: str) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _worker_command(backend: str) -> tuple[list[str], str]:
    """The command `make run` uses for this backend, and a log line that says it is ready."""
    manage = [sys.executable, "manage.py"]
    if backend == "database":
        return [
            *manage,
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ], "Starting worker"
    return [
        *manage,
        "rqworker",
        "--job-class",
        "django_tasks_rq.Job",
        "--with-scheduler",
        "default",
    ], "Listening on"


@pytest.fixture(params=["database", "rq"])
def backend(request, settings):
    if request.param == "rq":
        if not django_settings.REDIS_URL:
            pytest.skip("the RQ worker runs when REDIS_URL is set (CI's second run)")
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
        _clear_stale_scheduler_lock()
    else:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return request.param


def _clear_stale_scheduler_lock() -> None:
    # A scheduler killed without cleanup holds its lock for a minute; the new worker needs it now.
    import django_rq
    from rq.scheduler import RQScheduler

    django_rq.get_connection("default").delete(RQScheduler.get_locking_key("default"))


@pytest.fixture
def stamped_mailbox(mailbox):
    """The mailbox, with the instant each message arrived."""
    arrivals: list[float] = []
    receive = mailbox.handle_DATA

    async def handle_DATA(server, session, envelope):
        arrivals.append(time.time())
        return await receive(server, session, envelope)

    mailbox.handle_DATA = handle_DATA
    mailbox.arrivals = arrivals
    assert asyncio  # the handler runs on aiosmtpd's own loop
    return mailbox


@pytest.fixture
def worker(backend, asgi_live_server, stamped_mailbox, settings, tmp_path):
    command, ready_line = _worker_command(backend)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ipt.settings",
        "DATABASE_URL": _test_database_url(),
        "IPT_TASKS_BACKEND": backend,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": settings.EMAIL_HOST,
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "SITE_URL": asgi_live_server.url,
        "DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("IPT_ENV", None)
    if django_settings.REDIS_URL:
        env["REDIS_URL"] = django_settings.REDIS_URL
    log = tmp_path / f"{backend}-worker.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_for_line(process, log, ready_line)
        yield log
    finally:
        _stop(process)


def _wait_for_line(process: subprocess.Popen, log: Path, line: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if line in log.read_text(errors="replace"):
            time.sleep(0.5)  # the RQ scheduler process starts just after
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"the worker did not start; its log:\n{log.read_text(errors='replace')[-3000:]}")


def _whole_second(value: datetime) -> datetime:
    return datetime.fromtimestamp(math.ceil(value.timestamp()), tz=UTC)


def reminders_by_appointment(mailbox) -> dict[str, list[tuple[float, str]]]:
    """appointment id -> [(arrival, recipient)] for each reminder received."""
    found: dict[str, list[tuple[float, str]]] = {}
    for arrival, message in zip(mailbox.arrivals, mailbox.messages, strict=True):
        if "your session starts at" not in str(message["Subject"]):
            continue
        body = mailbox.body(message)
        appointment_id = body.split("/appointments/")[-1].split("/")[0]
        found.setdefault(appointment_id, []).append((arrival, message["X-Envelope-To"]))
    return found


@pytest.mark.django_db(transaction=True)
def test_reminders_arrive_on_time_and_never_for_a_cancelled_or_moved_time(
    worker, stamped_mailbox, asgi_live_server, personas, settings
):
    settings.IPT_REMINDER_OFFSETS_MINUTES = [1440, OFFSET_MINUTES]  # 1440 is already past: skipped
    settings.SITE_URL = asgi_live_server.url
    offset = timedelta(minutes=OFFSET_MINUTES)
    start = _whole_second(datetime.now(UTC)) + offset + timedelta(seconds=LEAD_SECONDS)
    therapist, other_therapist = personas.therapist, personas.other_therapist

    kept = book_appointment(actor=therapist, therapist=therapist, patient=personas.patient, start=start)
    cancelled = book_appointment(
        actor=other_therapist, therapist=other_therapist, patient=personas.other_patient, start=start
    )
    cancel_appointment(actor=other_therapist, appointment=cancelled, reason="")
    moved = book_appointment(
        actor=other_therapist, therapist=other_therapist, patient=personas.other_patient, start=start
    )
    moved_to = reschedule_appointment(
        actor=other_therapist, appointment=moved, new_start=start + timedelta(seconds=3)
    )
    due = {
        str(kept.pk): (start - offset).timestamp(),
        str(moved_to.pk): (moved_to.start - offset).timestamp(),
    }
    assert max(due.values()) > time.time(), "booking took so long that the reminders were already due"

    deadline = max(due.values()) + LATE_SECONDS + 6
    while time.time() < deadline:
        received = reminders_by_appointment(stamped_mailbox)
        if all(len(received.get(key, [])) >= 2 for key in due) and time.time() > max(due.values()) + 1.5:
            break
        time.sleep(0.1)

    received = reminders_by_appointment(stamped_mailbox)
    assert set(received) == set(due), (received, worker.read_text(errors="replace")[-3000:])
    for appointment_id, arrivals in received.items():
        assert sorted(to for _at, to in arrivals) == sorted(
            ["patient@example.test", "therapist@example.test"]
            if appointment_id == str(kept.pk)
            else ["other.patient@example.test", "other.therapist@example.test"]
        )
        for arrived_at, _to in arrivals:
            assert arrived_at >= due[appointment_id], "a reminder arrived before its due instant"
            assert arrived_at <= due[appointment_id] + LATE_SECONDS, (
                f"a reminder arrived {arrived_at - due[appointment_id]:.1f} s late"
            )

    # The links a reminder carries lead to real pages on the server (sign-in first).
    (message,) = [
        m
        for m in stamped_mailbox.messages
        if m["X-Envelope-To"] == "patient@example.test" and "starts at" in str(m["Subject"])
    ]
    body = stamped_mailbox.body(message)
    for name, args in (("join_session", [kept.pk]), ("device_check", [])):
        url = asgi_live_server.url + reverse(name, args=args)
        assert url in body
        assert status_of(url) == 302


@pytest.mark.django_db(transaction=True)
def test_a_calendar_app_reads_the_feed_through_the_real_server_without_signing_in(
    asgi_live_server, client_for, personas, settings
):
    from ipt.scheduling.tests.conftest import add_appointment

    settings.SITE_URL = asgi_live_server.url
    appointment = add_appointment(
        personas.therapist, personas.patient, _whole_second(datetime.now(UTC)) + timedelta(days=2)
    )
    client = client_for("patient")
    client.post(reverse("calendar_settings"), {"action": "create"})
    feed_url = client.get(reverse("calendar_settings")).context["feed_url"]

    with urllib.request.urlopen(feed_url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/calendar")
        body = response.read().decode()
    assert f"UID:{appointment.pk}@ipt-online" in body
    assert status_of(feed_url.replace(".ics", "x.ics")) == 404
