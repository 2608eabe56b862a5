"""P5: websocket relay of video signaling, 500 rooms / 1,000 sockets.

The real server (uvicorn serving ipt.asgi:application) and a real asyncio websocket client
(``websockets``): 500 appointments already admitted (status arrived, window open), each with its
patient and therapist connected to ``ws/appointments/<id>/call/`` with a session cookie and an
Origin header, as browsers would. Senders put ``time.perf_counter_ns()`` inside the ``signal``
frame's candidate; the receiving socket (same client process, same clock) takes the difference:
one hop = client -> server -> other member. Two phases per configuration:

- latency: every socket sends at an even pace adding up to ``--rate`` (default 5,000 frames/s,
  5 per socket per second, well within the call socket's token bucket of 50/s, burst 200) for
  ``--seconds``; p50/p99/max latency and the delivered rate;
- throughput: every socket sends as fast as the bucket allows (``--burst-rate`` per socket,
  default 40/s = 40,000 offered per second) for ``--seconds``; delivered frames/s.

Configurations: one server process (in-memory channel layer); with REDIS_URL also one process
on the Redis channel layer, and two processes (patient sockets on one, therapist sockets on the
other) sharing it.

Targets (docs/quality.md, P5): one process p99 <= 10 ms and >= 5,000 messages/s; across two
processes through Redis p99 <= 25 ms.

Data: a throwaway database: a temporary SQLite file, or with DATABASE_URL naming PostgreSQL a
database "<name>_p5" created and dropped on that server; migrated and filled with the ORM.

    .venv/bin/python bench/p5_signaling_relay.py [--rooms 500] [--rate 5000] [--seconds 10]
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/p5_signaling_relay.py

The client shares the machine with the server: on a small machine it costs about as much CPU as
the server, so the figures are a lower bound of what the server alone does.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

from _server import Server

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

TARGET_P99_MS = 10.0
TARGET_RATE = 5000.0
TARGET_P99_REDIS_MS = 25.0
CONNECT_CONCURRENCY = 50
# As the project serves websockets (README): no per-message compression. Browsers offer it on
# every socket; zlib on every small signaling frame cost about a tenth of the relay's CPU.


# The database ------------------------------------------------------------------------------------


def prepare_database() -> tuple[str, object]:
    """A fresh database URL for this run and a function that removes it."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urllib.parse.urlsplit(configured)
        name = (parts.path.lstrip("/") or "ipt") + "_p5"
        admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return urllib.parse.urlunsplit(parts._replace(path="/" + name)), drop
    directory = tempfile.mkdtemp(prefix="ipt-p5-")
    path = Path(directory) / "p5.sqlite3"

    def remove() -> None:
        for suffix in ("", "-wal", "-shm", "-journal", "-writelock"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        Path(directory).rmdir()

    return f"sqlite:///{path}", remove


def fill_database(rooms: int) -> list[tuple[str, str, str]]:
    """Migrate; create the rooms. Returns (appointment id, patient cookie, therapist cookie) each."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipt.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ipt.accounts.models import Role, User
    from ipt.conftest import sign_in
    from ipt.scheduling.models import Appointment, AppointmentStatus

    call_command("migrate", verbosity=0)
    password = make_password(uuid.uuid4().hex)
    therapists = User.objects.bulk_create(
        User(
            email=f"p5-therapist-{i}@example.test", role=Role.THERAPIST, password=password, first_name=f"T{i}"
        )
        for i in range(rooms)
    )
    patients = User.objects.bulk_create(
        User(email=f"p5-patient-{i}@example.test", role=Role.PATIENT, password=password, first_name=f"P{i}")
        for i in range(rooms)
    )
    TOTPDevice.objects.bulk_create(TOTPDevice(user=t, name="p5", confirmed=True) for t in therapists)
    start = timezone.now() - timedelta(minutes=5)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            therapist=t,
            patient=p,
            start=start,
            end=start + timedelta(minutes=50),
            status=AppointmentStatus.ARRIVED,
            arrived_at=start,
            created_by=t,
        )
        for t, p in zip(therapists, patients, strict=True)
    )

    def cookie(user) -> str:
        client = sign_in(Client(), user)
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    rooms_out = [
        (str(a.pk), cookie(p), cookie(t)) for a, p, t in zip(appointments, patients, therapists, strict=True)
    ]
    from django.db import connections

    connections.close_all()
    return rooms_out


# The server --------------------------------------------------------------------------------------


def start_server(database_url: str, redis_url: str, prefix: str, log: Path) -> Server:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ipt.settings", "DATABASE_URL": database_url}
    env.update({"DEBUG": "false", "REDIS_PREFIX": prefix})
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return Server(env, log)


# The client --------------------------------------------------------------------------------------


class Socket:
    def __init__(self, connection):
        self.connection = connection
        self.sent = 0


class Measure:
    def __init__(self):
        self.recording = False
        self.latencies_ns: list[int] = []
        self.received = 0
        self.errors = 0
        self.error_details: dict[str, int] = {}


async def open_socket(server: Server, appointment_id: str, cookie: str, limit: asyncio.Semaphore):
    from websockets.asyncio.client import connect

    url = server.url.replace("http://", "ws://") + f"/ws/appointments/{appointment_id}/call/"
    async with limit:
        connection = await connect(
            url, origin=server.url, additional_headers={"Cookie": cookie}, open_timeout=60, max_queue=None
        )
        hello = json.loads(await asyncio.wait_for(connection.recv(), 30))
        if hello.get("type") != "hello":
            raise RuntimeError(f"expected hello, got {hello}")
    return Socket(connection)


async def read(socket: Socket, measure: Measure) -> None:
    try:
        async for text in socket.connection:
            now = time.perf_counter_ns()
            frame = json.loads(text)
            if frame.get("type") != "signal":
                if frame.get("type") == "error":
                    measure.errors += 1
                    detail = str(frame.get("detail"))
                    measure.error_details[detail] = measure.error_details.get(detail, 0) + 1
                continue
            if measure.recording:
                measure.received += 1
                measure.latencies_ns.append(now - frame["candidate"]["t"])
    except Exception:
        return


async def send_paced(sockets: list[Socket], total_rate: float, seconds: float) -> int:
    """Send ``total_rate`` frames/s in all, spread evenly over the sockets, for ``seconds``."""
    tick = 0.005
    per_tick = total_rate * tick
    due = 0.0
    index = 0
    sent = 0
    started = time.perf_counter()
    next_tick = started
    while True:
        now = time.perf_counter()
        if now - started >= seconds:
            return sent
        due += per_tick
        while due >= 1:
            socket = sockets[index % len(sockets)]
            index += 1
            due -= 1
            frame = {"type": "signal", "candidate": {"candidate": "bench", "t": time.perf_counter_ns()}}
            await socket.connection.send(json.dumps(frame))
            sent += 1
        next_tick += tick
        await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))


def percentile(values: list[int], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1e6


def server_cpu(servers: list[Server]) -> float:
    return sum(server.cpu_seconds() for server in servers)


async def phase(
    servers: list[Server], sockets: list[Socket], measure: Measure, rate: float, seconds: float
) -> dict:
    measure.latencies_ns, measure.received, measure.recording = [], 0, True
    measure.errors, measure.error_details = 0, {}
    started = time.perf_counter()
    cpu_before, client_before = server_cpu(servers), time.process_time()
    sent = await send_paced(sockets, rate, seconds)
    await asyncio.sleep(0.5)  # let the last frames land
    measure.recording = False
    elapsed = time.perf_counter() - started - 0.5
    cpu = server_cpu(servers) - cpu_before
    client_cpu = time.process_time() - client_before
    return {
        # CPU time per delivered frame (microseconds): what the relay costs, much less
        # dependent than latency on what else the machine runs.
        "server_cpu_us_per_frame": 1e6 * cpu / max(1, measure.received),
        "client_cpu_us_per_frame": 1e6 * client_cpu / max(1, measure.received),
        "server_cpu_share": cpu / (elapsed + 0.5),
        "offered": sent / elapsed,
        "delivered": measure.received / elapsed,
        "lost": sent - measure.received,
        # Error frames the server sent back during the phase (for example "not keeping up").
        "errors": measure.errors,
        "error_details": dict(measure.error_details),
        "p50": percentile(measure.latencies_ns, 0.50),
        "p99": percentile(measure.latencies_ns, 0.99),
        "max": percentile(measure.latencies_ns, 1.0),
    }


async def run_configuration(
    servers: list[Server], rooms: list[tuple[str, str, str]], rate: float, burst_rate: float, seconds: float
) -> tuple[dict, dict, float]:
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    patient_server, therapist_server = servers[0], servers[-1]
    connect_started = time.perf_counter()
    patients = await asyncio.gather(*(open_socket(patient_server, a, p, limit) for a, p, _t in rooms))
    therapists = await asyncio.gather(*(open_socket(therapist_server, a, t, limit) for a, _p, t in rooms))
    connect_seconds = time.perf_counter() - connect_started
    sockets = [s for pair in zip(patients, therapists, strict=True) for s in pair]
    measure = Measure()
    readers = [asyncio.create_task(read(s, measure)) for s in sockets]
    await asyncio.sleep(1.0)  # presence frames settle
    await phase(servers, sockets, measure, min(rate, 1000), 1.0)  # warm-up
    latency = await phase(servers, sockets, measure, rate, seconds)
    await asyncio.sleep(1.0)  # buckets refill
    throughput = await phase(servers, sockets, measure, burst_rate * len(sockets), seconds)
    for start in range(0, len(sockets), CONNECT_CONCURRENCY):  # leave as they came, in batches
        batch = sockets[start : start + CONNECT_CONCURRENCY]
        await asyncio.gather(*(s.connection.close() for s in batch), return_exceptions=True)
    for reader in readers:
        reader.cancel()
    return latency, throughput, connect_seconds


def report(
    title: str, latency: dict, throughput: dict, connect_seconds: float, rss: list[float], p99_target: float
):
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"\n{title}")
    print(
        f"  1,000 sockets connected in {connect_seconds:.1f} s; server RSS {', '.join(f'{r:.0f} MB' for r in rss)}"
    )
    print(f"  {'measure':44} {'measured':>12} {'target':>12}")
    print(
        f"  {'latency phase: offered / delivered msgs/s':44} "
        f"{latency['offered']:>5.0f} / {latency['delivered']:<5.0f} {'>= 5,000':>12}  "
        f"{mark(latency['delivered'] >= TARGET_RATE * 0.98)}"
    )
    print(f"  {'one hop p50 (ms)':44} {latency['p50']:>12.2f}")
    print(
        f"  {'one hop p99 (ms)':44} {latency['p99']:>12.2f} {'<= ' + str(p99_target):>12}  {mark(latency['p99'] <= p99_target)}"
    )
    print(f"  {'one hop max (ms)':44} {latency['max']:>12.2f}")
    print(f"  {'frames lost / errors':44} {latency['lost']:>5} / {latency['errors']:<5}")
    print(
        f"  {'saturation: offered / delivered msgs/s':44} "
        f"{throughput['offered']:>5.0f} / {throughput['delivered']:<5.0f} {'>= 5,000':>12}  "
        f"{mark(throughput['delivered'] >= TARGET_RATE)}"
    )
    print(f"  {'saturation: p50 / p99 (ms)':44} {throughput['p50']:>5.1f} / {throughput['p99']:<5.1f}")
    print(f"  {'saturation: error frames back':44} {throughput['errors']:>5}")
    for detail, count in sorted(throughput["error_details"].items(), key=lambda item: -item[1])[:3]:
        print(f"    {count} x {detail}")
    print(
        f"  {'server CPU per frame, latency / saturation (us)':44} "
        f"{latency['server_cpu_us_per_frame']:>5.0f} / {throughput['server_cpu_us_per_frame']:<5.0f}"
        f"  (client {latency['client_cpu_us_per_frame']:.0f} / {throughput['client_cpu_us_per_frame']:.0f};"
        f" server busy {100 * latency['server_cpu_share']:.0f} % / {100 * throughput['server_cpu_share']:.0f} %"
        " of a core)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="frames/s in all, latency phase")
    parser.add_argument(
        "--burst-rate", type=float, default=40.0, help="frames/s per socket, saturation phase"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip-single", action="store_true", help="with REDIS_URL: only the Redis runs")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON (make bench)")
    arguments = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL", "")
    database_url, remove_database = prepare_database()
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)  # the ORM work here needs no channel layer
    log_dir = Path(tempfile.mkdtemp(prefix="ipt-p5-logs-"))
    try:
        started = time.perf_counter()
        rooms = fill_database(arguments.rooms)
        print(
            f"P5 signaling relay: {arguments.rooms} rooms, {2 * arguments.rooms} sockets; "
            f"database {database_url.split('://')[0]}; data ready in {time.perf_counter() - started:.0f} s"
        )
        configurations = []
        if not (redis_url and arguments.skip_single):
            configurations.append(("One process, in-memory channel layer", 1, "", TARGET_P99_MS))
        if redis_url:
            configurations.append(("One process, Redis channel layer", 1, redis_url, TARGET_P99_MS))
            configurations.append(
                (
                    "Two processes through Redis (patient on one, therapist on the other)",
                    2,
                    redis_url,
                    TARGET_P99_REDIS_MS,
                )
            )
        results = []
        for title, processes, redis, p99_target in configurations:
            prefix = f"ipt-p5-{uuid.uuid4().hex[:8]}"
            servers = [
                start_server(database_url, redis, prefix, log_dir / f"uvicorn-{title[:3]}-{i}.log")
                for i in range(processes)
            ]
            try:
                latency, throughput, connect_seconds = asyncio.run(
                    run_configuration(servers, rooms, arguments.rate, arguments.burst_rate, arguments.seconds)
                )
                rss = [mb for s in servers for mb in s.worker_rss()]
            finally:
                for server in servers:
                    server.stop()
            report(title, latency, throughput, connect_seconds, rss, p99_target)
            results.append(
                {
                    "title": title,
                    "processes": processes,
                    "redis": bool(redis),
                    "latency": latency,
                    "throughput": throughput,
                    "connect_seconds": connect_seconds,
                    "rss_mb": rss,
                    "p99_target": p99_target,
                }
            )
        if arguments.json:
            Path(arguments.json).write_text(json.dumps(results, indent=2))
        print(f"\n(server logs: {log_dir})")
    finally:
        remove_database()


if __name__ == "__main__":
    main()
