"""Browser tests: the real ASGI server (uvicorn) and Chromium driven by Playwright.

Design. ``asgi_live_server`` starts ``uvicorn ipt.asgi:application`` in a separate process, the way
``make run`` serves the app, so pages are served through the same ASGI stack that will carry
websockets. Playwright's bundled browsers are not needed: Debian's /usr/bin/chromium is used.

The server must read and write the test's own database:
- the fixture uses ``transactional_db``, so what a test writes is committed (visible to another
  process) and is flushed after the test, once the server has stopped;
- the server gets ``DATABASE_URL`` naming the test database pytest-django created (``test_ipt``,
  ``test_ipt_gw0`` ... on PostgreSQL), and the same ``REDIS_URL`` with a key prefix that this
  process uses too;
- on SQLite the test database is normally in memory, which no other process can open. When the
  run includes browser tests, ``pytest_collection_modifyitems`` below names a file in the temp
  directory as the SQLite test database instead (``DATABASES["default"]["TEST"]["NAME"]``);
  Django creates and deletes it. In such a run every test uses that file: same schema, and it
  behaves like the development database.

pytest-django's ``live_server`` (a WSGI thread in this process) would share the in-memory database
but serves no websockets, so it is not used.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client

from ipt.conftest import sign_in

BASE_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = BASE_DIR / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 30.0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # trylast: after -m/-k deselection, so a run without browser tests keeps the in-memory DB.
    if any(
        item.get_closest_marker("browser")
        or {"asgi_live_server", "live_server_factory"} & set(item.fixturenames)
        for item in items
    ):
        _use_a_file_for_the_sqlite_test_database()


def _use_a_file_for_the_sqlite_test_database() -> None:
    if connections["default"].vendor != "sqlite":
        return
    database = connections["default"].settings_dict
    test = database.setdefault("TEST", {})
    if test.get("NAME") in (None, "", ":memory:"):
        # The pid keeps concurrent runs (and xdist workers) apart; Django deletes the file at the end.
        test["NAME"] = str(Path(tempfile.gettempdir()) / f"ipt-test-{os.getpid()}.sqlite3")


def _test_database_url() -> str:
    """A DATABASE_URL for the database this test process is using (the test database)."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            raise RuntimeError("The SQLite test database is in memory; another process cannot open it.")
        return f"sqlite:///{database['NAME']}"
    configured = os.environ.get("DATABASE_URL", "")
    if not configured:
        raise RuntimeError(
            f"Cannot hand a {connection.vendor} test database to uvicorn without DATABASE_URL."
        )
    parts = urllib.parse.urlsplit(configured)
    return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(database["NAME"])))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _start_uvicorn(env: dict[str, str], log: Path, workers: int = 1) -> LiveServer:
    """Start uvicorn (through ipt.serve, as bench/ and production do) in its own process group;
    retry on another port if the probed one was taken."""
    for _attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "ipt.serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "2",
            "--workers",
            str(workers),
        ]
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env={**env, "SITE_URL": url},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = LiveServer(url=url, process=process, log=log)
        if _wait_until_healthy(server):
            return server
        _stop(process)
        if "address already in use" not in server.log_tail().lower():
            break
    raise RuntimeError(f"uvicorn did not become healthy; its log ends:\n{server.log_tail()}")


def _wait_until_healthy(server: LiveServer) -> bool:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen) -> None:
    """Stop the whole process group: SIGTERM, then SIGKILL if it does not go within 10 s."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue


def _share_realtime_prefix(settings, prefix: str) -> None:
    """Make this process use the server's Redis prefixes, so both see the same groups and cache."""
    from channels.layers import channel_layers

    layers = {**settings.CHANNEL_LAYERS}
    config = {**layers["default"]["CONFIG"], "prefix": f"{prefix}:asgi"}
    layers["default"] = {**layers["default"], "CONFIG": config}
    settings.CHANNEL_LAYERS = layers
    caches = {**settings.CACHES}
    caches["default"] = {**caches["default"], "KEY_PREFIX": prefix}
    settings.CACHES = caches
    channel_layers.backends.clear()


@pytest.fixture
def live_server_factory(transactional_db, settings, tmp_path) -> Iterator[Callable[..., LiveServer]]:
    """start(workers=1) -> another uvicorn on the test database, sharing one Redis prefix.

    Every server started by one test shares the channel layer (with REDIS_URL), so two of them
    are two processes of one deployment. They run with the development settings ``make run``
    uses (DEBUG on, static files served), pointed at the test database.
    """
    prefix = f"ipt-browser-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ipt.settings",
        "DATABASE_URL": _test_database_url(),
        "REDIS_PREFIX": prefix,
        "DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("IPT_ENV", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if django_settings.REDIS_URL:
        env["REDIS_URL"] = django_settings.REDIS_URL
        _share_realtime_prefix(settings, prefix)
    started: list[LiveServer] = []

    def start(workers: int = 1, extra_env: dict[str, str] | None = None) -> LiveServer:
        """extra_env overrides the server's environment (e.g. its own REDIS_URL or DATABASE_URL)."""
        server_env = {**env, **(extra_env or {})}
        server = _start_uvicorn(server_env, tmp_path / f"uvicorn-{len(started)}.log", workers=workers)
        started.append(server)
        return server

    yield start
    for server in started:
        _stop(server.process)


@pytest.fixture
def asgi_live_server(live_server_factory, settings) -> LiveServer:
    """uvicorn serving ``ipt.asgi:application`` on a free loopback port, on the test database.

    One server per test (it is ready in about half a second), so no state survives between tests.
    """
    server = live_server_factory()
    settings.SITE_URL = server.url
    return server


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module; each person gets their own context (cookies, storage)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread, so Django would refuse ORM
    # calls from the test ("async context"). Allowed only while the browser modules run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def new_context(chromium, asgi_live_server) -> Iterator[Callable]:
    """new_context(**options) -> a fresh browser context (one per person) on the live server."""
    opened = []

    def build(**options):
        context = chromium.new_context(base_url=asgi_live_server.url, **options)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield build
    for context in opened:
        context.close()


def use_session_of(context, server_url: str, user) -> None:
    """Sign ``user`` in on this browser context (the same device: localStorage is kept)."""
    cookie = sign_in(Client(), user).cookies[django_settings.SESSION_COOKIE_NAME].value
    context.clear_cookies()
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": server_url}])


def signed_in_context(new_context, server_url: str, user):
    """A fresh browser context (from the ``new_context`` fixture) with ``user`` signed in."""
    context = new_context()
    use_session_of(context, server_url, user)
    return context


@pytest.fixture
def screenshot() -> Callable:
    """screenshot(page, "name") saves test-artifacts/name.png (git-ignored) and returns its path."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
