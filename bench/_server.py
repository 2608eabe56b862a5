"""The real server the benchmarks drive: ``python -m ipt.serve`` on loopback, in its own process
group, with what they read of it (CPU time, RSS). Shared by run.py, p5 and p6."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class ServerDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """ipt.serve with ``workers`` worker processes (one: uvicorn in the process itself), ready when
    ``ready_path`` answers 200."""

    def __init__(self, env: dict, log: Path, *, workers: int = 1, ready_path: str = "/healthz", timeout=60):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.workers_wanted = workers
        command = [sys.executable, "-m", "ipt.serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(workers), "--lifespan", "off", "--no-access-log"]
        command += ["--log-level", "warning", "--timeout-graceful-shutdown", "3"]
        with log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=BASE_DIR,
                env={**env, "SITE_URL": self.url, "PYTHONUNBUFFERED": "1"},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait(ready_path, timeout)

    def _wait(self, ready_path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if len(self.workers()) >= self.workers_wanted:
                try:
                    with urllib.request.urlopen(self.url + ready_path, timeout=5) as response:  # noqa: S310
                        if response.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            time.sleep(0.05)
        self.stop()
        raise ServerDidNotStart(f"the server did not start (or {ready_path} does not answer); see {self.log}")

    def workers(self) -> list[int]:
        """The processes that serve: the supervisor's children, or the process itself."""
        if self.workers_wanted == 1:
            return [self.process.pid] if self.process.poll() is None else []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except FileNotFoundError:
            return []
        pids = []
        for pid in map(int, children):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(pid)
            except FileNotFoundError:
                continue
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU time of the serving processes so far."""
        total = 0.0
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def worker_rss(self) -> list[float]:
        return [rss_mb(pid) for pid in self.workers()]

    def stop(self) -> None:
        """The whole process group: SIGTERM, then SIGKILL if it has not gone within 10 s."""
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0
