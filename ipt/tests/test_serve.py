"""ipt.serve: connections are dealt to the workers in turn, a dead worker is replaced, SIGTERM stops all."""

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CONNECTIONS = 32
WORKERS = 2


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _established_server_sides(port: int) -> set[str]:
    """Inodes of the server's ends of established TCP connections on ``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
            inodes.add(fields[9])
    return inodes


def _workers(server) -> list[int]:
    """The supervisor's worker processes (those that hold a socket: their channel)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        workers = [pid for pid in _children(server.process.pid) if _socket_inodes(pid)]
        if len(workers) >= WORKERS:
            return workers
        time.sleep(0.1)
    raise AssertionError(f"not {WORKERS} workers: {_children(server.process.pid)}")


def _open_keep_alive_connections(
    server, count: int, paused: list[int] = ()
) -> list[http.client.HTTPConnection]:
    """``count`` connections, each after one request; opened while the ``paused`` processes are
    stopped (as if busy), so that they wait in the accept queues together."""
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    connections = [http.client.HTTPConnection(host, port, timeout=30) for _ in range(count)]
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        for connection in connections:
            connection.connect()
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)
    for connection in connections:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200  # and the connection is kept open (keep-alive)
    return connections


def test_connections_are_spread_over_the_workers(live_server_factory):
    server = live_server_factory(workers=WORKERS)
    workers = _workers(server)
    connections = _open_keep_alive_connections(server, CONNECTIONS, paused=workers)
    try:
        established = _established_server_sides(urlsplit(server.url).port)
        held = {pid: len(_socket_inodes(pid) & established) for pid in workers}
        assert sum(held.values()) == CONNECTIONS, held
        # Dealt in turn: half each, though both workers were busy (stopped) while they arrived.
        # With one shared socket (uvicorn --workers) the first worker to wake took all of them; with
        # a socket each (SO_REUSEPORT) the kernel's hash split them unevenly.
        assert sorted(held.values()) == [CONNECTIONS // WORKERS] * WORKERS, held
    finally:
        for connection in connections:
            connection.close()


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_them_all(live_server_factory):
    server = live_server_factory(workers=WORKERS)
    first, second = _workers(server)
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = [pid for pid in _children(server.process.pid) if _socket_inodes(pid)]
        if len(workers) == WORKERS and first not in workers:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the killed worker was not replaced: {_children(server.process.pid)}")
    assert second in workers
    for connection in _open_keep_alive_connections(server, 8):  # the new worker serves its socket
        connection.close()

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=20) == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and _is_running(pid)]


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_worker_leaves_what_it_loaded_at_start_out_of_garbage_collection():
    """Full collections walked every module, model and URL pattern: pauses of up to 95 ms."""
    frozen = subprocess.run(
        [sys.executable, "-c", "import gc, ipt.asgi; print(gc.get_freeze_count())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert int(frozen.stdout) > 50_000  # the URL configuration's views and models among them
