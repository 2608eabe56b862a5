"""R5, faults with real processes: Redis down, PostgreSQL restarted, a worker killed during a call.

Nothing here stops the machine's Redis or PostgreSQL. Each test starts what it breaks:

- its own throwaway ``redis-server`` on a free port (the app servers' REDIS_URL points at it);
- an asyncio TCP proxy between the app server and PostgreSQL, which the test cuts and restores;
- uvicorn processes (``live_server_factory``), killed with SIGKILL like a crashed worker.
"""

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import reverse
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from ipt.accounts.actions import create_api_token
from ipt.conftest import sign_in
from ipt.telehealth import actions
from ipt.telehealth.tests.test_actions import appointment_of
from ipt.tests.conftest import _test_database_url
from ipt.tests.test_signaling_two_processes import nothing_arrives, receive, session_cookie
from ipt.tests.test_video_call_browser import call_browser, person  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NOTICE = 'id="live-features-paused"'
# A failing request must answer within this many seconds (no hang).
PROMPT = 8.0
# Pages re-check the channel layer this often in these servers (IPT_LIVE_CHECK_SECONDS).
LIVE_CHECK_SECONDS = 0.5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayRedis:
    """A redis-server of this test only (no persistence), stopped and started on the same port."""

    def __init__(self, directory: Path):
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.directory)]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the throwaway redis-server did not start")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def throwaway_redis(tmp_path):
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("redis-server is not installed")
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


class TcpProxy:
    """127.0.0.1:port -> target, on its own event loop thread. ``cut()`` drops every connection
    and refuses new ones (as a restarting server does); ``restore()`` listens again."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = _free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.silent = False
        self.thread.start()

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader, client_writer) -> None:
        if self.silent:
            # A network that swallows packets: the connection opens, nothing ever answers.
            self.writers.add(client_writer)
            await client_reader.read()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        self.writers |= {client_writer, server_writer}
        await asyncio.gather(
            self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer)
        )
        self.writers -= {client_writer, server_writer}

    async def _listen(self) -> None:
        if self.server is not None:
            return
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def restore(self) -> None:
        self.silent = False
        self._run(self._listen())

    def go_silent(self) -> None:
        """Drop every connection, then accept new ones and never answer them."""
        self.cut()
        self.silent = True
        self._run(self._listen())

    def cut(self) -> None:
        self._run(self._cut())

    async def _finish(self) -> None:
        await self._cut()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self._run(self._finish())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


class Browser(requests.Session):
    """A session against one server: ``get("/path")``, cookie and headers given once."""

    def __init__(self, base_url: str, cookie: str = "", **headers: str):
        super().__init__()
        self.base_url = base_url
        self.headers.update(headers)
        if cookie:
            name, value = cookie.split("=", 1)
            self.cookies.set(name, value, domain=urllib.parse.urlsplit(base_url).hostname, path="/")

    def csrf_post(self, path: str, page: str) -> requests.Response:
        """POST as the page's form would, with the CSRF token the page carries."""
        token = re.search(r'"X-CSRFToken": "([^"]+)"', self.get(page).text)
        assert token, "the page carries no CSRF token"
        return self.post(path, headers={"X-CSRFToken": token.group(1)})

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", PROMPT)
        kwargs["allow_redirects"] = False  # a page, not where it redirects to
        return super().request(method, self.base_url + url, *args, **kwargs)


def _page(client: Browser, path: str) -> requests.Response:
    return client.get(path)


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=PROMPT)


# a. Redis down


def test_pages_are_served_with_a_notice_while_redis_is_down_and_it_goes_when_redis_is_back(
    live_server_factory, throwaway_redis, personas
):
    server = live_server_factory(
        extra_env={"REDIS_URL": throwaway_redis.url, "IPT_LIVE_CHECK_SECONDS": str(LIVE_CHECK_SECONDS)}
    )
    appointment = actions.admit_patient(actor=personas.therapist, appointment=appointment_of(personas))
    pages = {
        "patient": [
            reverse("home"),
            reverse("my_appointments"),
            reverse("video_call", args=[appointment.pk]),
        ],
        "therapist": [reverse("home"), reverse("schedule"), reverse("inbox")],
    }
    clients = {name: Browser(server.url, session_cookie(getattr(personas, name))) for name in pages}

    def every_page() -> list[tuple[str, int, bool, float]]:
        seen = []
        for name, paths in pages.items():
            for path in paths:
                started = time.monotonic()
                response = _page(clients[name], path)
                seen.append(
                    (
                        f"{name} {path}",
                        response.status_code,
                        NOTICE in response.text,
                        time.monotonic() - started,
                    )
                )
        return seen

    try:
        assert all(status == 200 and not notice for _, status, notice, _ in every_page()), every_page()
        health = _get(f"{server.url}/healthz").json()
        assert health["channel_layer"] == "ok"

        throwaway_redis.stop()
        time.sleep(LIVE_CHECK_SECONDS + 0.1)
        down = every_page()
        assert [(page, status) for page, status, _, _ in down] == [(page, 200) for page, *_ in down], (
            server.log_tail()
        )
        assert all(notice for _, _, notice, _ in down), down
        assert max(elapsed for *_, elapsed in down) < 2.0, down
        page = " ".join(_page(clients["patient"], reverse("home")).text.split())
        assert "Live features are paused" in page and "video calls" in page and "live messages" in page

        started = time.monotonic()
        health = _get(f"{server.url}/healthz")
        assert time.monotonic() - started < 5
        assert health.status_code == 503  # degraded, reported as JSON: not a 500
        assert health.json()["database"] == "ok"
        assert health.json()["channel_layer"].startswith("error")

        # The session ends cleanly too (logging out tells open sockets through the layer).
        response = clients["patient"].csrf_post(reverse("logout"), reverse("home"))
        assert response.status_code in (200, 302), server.log_tail()
        after = _page(clients["patient"], reverse("my_appointments"))
        assert after.status_code == 302, "signed out"
        del pages["patient"]

        throwaway_redis.start()
        time.sleep(LIVE_CHECK_SECONDS + 0.1)
        back = every_page()
        assert len(back) == 3
        assert all(status == 200 and not notice for _, status, notice, _ in back), back
        assert _get(f"{server.url}/healthz").json()["channel_layer"] == "ok"
    finally:
        for client in clients.values():
            client.close()
    assert "Traceback" not in server.log_tail(200)


def test_a_message_sent_while_redis_is_down_is_stored_and_acknowledged(
    live_server_factory, throwaway_redis, personas
):
    from ipt.messaging.models import Message

    server = live_server_factory(extra_env={"REDIS_URL": throwaway_redis.url})
    _, token = create_api_token(actor=None, user=personas.patient, name="faults")
    api = Browser(server.url, Authorization=f"Bearer {token}")
    throwaway_redis.stop()
    client_id = str(uuid.uuid4())
    body = {"subject": "While Redis is down", "body": "Is this kept?", "client_id": client_id}
    response = api.post("/api/v1/messages/threads", json=body)
    assert Message.objects.filter(client_id=client_id).count() == 1, "persisted before acknowledged (R2)"
    assert response.status_code == 201, response.text[:500]


# b. PostgreSQL restarted


@pytest.fixture
def postgres_proxy():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with DATABASE_URL=postgres://... (SQLite has no server to restart)")
    target = urllib.parse.urlsplit(_test_database_url())
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    proxy.restore()
    yield proxy
    proxy.close()


def _through(proxy: TcpProxy) -> str:
    parts = urllib.parse.urlsplit(_test_database_url())
    netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
    if parts.password:
        netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def test_requests_fail_cleanly_while_postgresql_is_away_and_recover_without_a_restart(
    live_server_factory, postgres_proxy, personas
):
    server = live_server_factory(
        # DEBUG off, as in production: the debug 500 page reads the database again (each read
        # waits for the connect timeout) before the middleware replaces it.
        extra_env={
            "DATABASE_URL": _through(postgres_proxy),
            "DATABASE_CONNECT_TIMEOUT": "2",
            "DEBUG": "false",
        }
    )
    _, token = create_api_token(actor=None, user=personas.therapist, name="faults")
    page = Browser(server.url, session_cookie(personas.patient))
    api = Browser(server.url, Authorization=f"Bearer {token}")
    api_path = "/api/v1/me"
    try:
        # Warm the persistent connections (CONN_MAX_AGE) so the cut breaks live ones.
        for _ in range(3):
            assert _page(page, "/").status_code == 200
            assert api.get(api_path).status_code == 200

        postgres_proxy.cut()
        for _ in range(3):
            started = time.monotonic()
            response = _page(page, "/")
            assert time.monotonic() - started < PROMPT
            assert response.status_code == 503, response.text[:2000]
            assert "briefly unavailable" in response.text
            assert "Traceback" not in response.text and "OperationalError" not in response.text
            assert response.headers["Retry-After"]

            started = time.monotonic()
            response = api.get(api_path)
            assert time.monotonic() - started < PROMPT
            assert response.status_code == 503, response.text[:2000]
            assert "briefly unavailable" in response.json()["detail"]

            health = _get(f"{server.url}/healthz")
            assert health.status_code == 503 and health.json()["database"].startswith("error")

        # A server that does not answer at all: the connect timeout bounds the wait.
        postgres_proxy.go_silent()
        started = time.monotonic()
        response = _page(page, "/")
        assert response.status_code == 503 and "briefly unavailable" in response.text
        assert time.monotonic() - started < PROMPT

        postgres_proxy.restore()
        for _ in range(3):
            assert _page(page, "/").status_code == 200, server.log_tail()
            assert api.get(api_path).status_code == 200
        assert _get(f"{server.url}/healthz").json()["database"] == "ok"
        assert server.process.poll() is None, "the same server recovered"
    finally:
        page.close()
        api.close()


# c. A worker killed during a call


def _open_call(server, appointment, cookie: str):
    url = server.url.replace("http://", "ws://") + f"/ws/appointments/{appointment.pk}/call/"
    return connect(url, origin=server.url, additional_headers={"Cookie": cookie}, open_timeout=5)


async def _signals_cross(patient, therapist) -> None:
    offer = {"type": "signal", "description": {"type": "offer", "sdp": f"v=0\r\no={uuid.uuid4()}\r\n"}}
    await therapist.send(json.dumps(offer))
    assert await receive(patient) == offer
    answer = {"type": "signal", "description": {"type": "answer", "sdp": f"v=0\r\no={uuid.uuid4()}\r\n"}}
    await patient.send(json.dumps(answer))
    assert await receive(therapist) == answer


@pytest.mark.parametrize("reconnect_to", ["the other process", "a restarted process"])
def test_a_call_resumes_when_the_worker_of_one_member_is_killed(
    live_server_factory, throwaway_redis, personas, reconnect_to
):
    shared = {"REDIS_URL": throwaway_redis.url}
    patients_server, therapists_server = (
        live_server_factory(extra_env=shared),
        live_server_factory(extra_env=shared),
    )
    appointment = actions.admit_patient(actor=personas.therapist, appointment=appointment_of(personas))
    patient_cookie, therapist_cookie = session_cookie(personas.patient), session_cookie(personas.therapist)

    async def scenario() -> None:
        async with _open_call(therapists_server, appointment, therapist_cookie) as therapist:
            assert (await receive(therapist))["peer_present"] is False
            async with _open_call(patients_server, appointment, patient_cookie) as patient:
                assert (await receive(patient))["peer_present"] is True
                assert await receive(therapist) == {"type": "peer", "present": True}
                await _signals_cross(patient, therapist)

                os.killpg(patients_server.process.pid, signal.SIGKILL)  # the worker crashes
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(patient.recv(), 5)

            if reconnect_to == "the other process":
                target = therapists_server
            else:
                target = await asyncio.to_thread(live_server_factory, extra_env=shared)
            # The page's socket reconnects (call.js does so by itself) and finds the therapist.
            async with _open_call(target, appointment, patient_cookie) as patient:
                hello = await receive(patient)
                assert (hello["type"], hello["role"], hello["peer_present"]) == ("hello", "patient", True)
                assert await receive(therapist) == {"type": "peer", "present": True}
                await _signals_cross(patient, therapist)
                await _signals_cross(patient, therapist)
                assert await nothing_arrives(patient), "a signal is never echoed or duplicated"

                chat = {"type": "chat", "client_id": str(uuid.uuid4()), "body": "are you back?"}
                await patient.send(json.dumps(chat))
                mine, theirs = await receive(patient), await receive(therapist)
                assert mine == theirs and mine["body"] == "are you back?"

    asyncio.run(scenario())
    patients_server.process.wait(timeout=10)
    assert therapists_server.process.poll() is None


# The same answers in-process (every database, no proxy): the middleware and the API handler.


@pytest.mark.parametrize(("path", "kind"), [("/", "page"), ("/api/v1/me", "api"), ("/healthz", "health")])
def test_an_unreachable_database_gives_a_clean_503(personas, monkeypatch, path, kind):
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    # raise_request_exception=False: the test client would re-raise the error the server handled.
    client = sign_in(Client(raise_request_exception=False), personas.patient)

    def unreachable(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", unreachable)
    monkeypatch.setattr(BaseDatabaseWrapper, "connection", None, raising=False)
    response = client.get(path)
    monkeypatch.undo()
    assert response.status_code == 503
    if kind == "page":
        assert "briefly unavailable" in response.content.decode()
        assert response["Retry-After"]
    elif kind == "api":
        assert "briefly unavailable" in response.json()["detail"]
    else:
        assert response.json()["database"].startswith("error")


# c, in two real browsers: the patient reaches the servers through a load balancer (a TcpProxy).

PAGE_MARKS = "(name) => performance.getEntriesByName('call:' + name).length"


@pytest.mark.browser
def test_in_two_browsers_the_call_comes_back_when_the_worker_of_one_member_is_killed(
    personas,
    live_server_factory,
    throwaway_redis,
    person,  # noqa: F811
):
    from playwright.sync_api import expect

    from ipt.tests.test_video_call_browser import (
        admit_outside_the_browser_loop,
        appointment_now,
        chat,
        expect_chat_once,
        expect_connected,
        expect_video_from_the_other,
        sign_in,
    )

    shared = {"REDIS_URL": throwaway_redis.url}
    first, second = live_server_factory(extra_env=shared), live_server_factory(extra_env=shared)
    balancer = TcpProxy(*_host_and_port(first.url))
    balancer.restore()
    try:
        appointment = appointment_now(personas)
        admit_outside_the_browser_loop(personas.therapist, appointment)
        call_path = reverse("video_call", args=[appointment.pk])
        therapist = person(second.url).new_page()
        patient = person(f"http://127.0.0.1:{balancer.port}").new_page()
        sign_in(therapist, personas.therapist)
        sign_in(patient, personas.patient)
        therapist.goto(call_path)
        patient.goto(call_path)
        expect_connected(therapist, patient)
        expect_video_from_the_other(therapist, patient)
        assert patient.evaluate(PAGE_MARKS, "socket-open") == 1
        peer_connections = therapist.evaluate(PAGE_MARKS, "peer-connection")

        # The patient's worker crashes; the balancer sends new connections to the other one.
        balancer.target = _host_and_port(second.url)
        os.killpg(first.process.pid, signal.SIGKILL)

        # The page's socket reconnects by itself, the peers negotiate afresh through the server.
        patient.wait_for_function(f"() => ({PAGE_MARKS})('socket-open') >= 2", timeout=20_000)
        therapist.wait_for_function(
            f"() => ({PAGE_MARKS})('peer-connection') > {peer_connections}", timeout=20_000
        )
        expect_connected(therapist, patient)
        expect_video_from_the_other(therapist, patient)
        chat(patient, "I am back")
        chat(therapist, "Welcome back")
        for page in (patient, therapist):
            expect_chat_once(page, "I am back")
            expect_chat_once(page, "Welcome back")
        expect(patient.locator("#peer-status")).not_to_contain_text("Waiting for")
    finally:
        balancer.close()


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80
