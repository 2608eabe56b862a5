"""uvicorn with N worker processes, to which the supervisor deals the connections in turn.

``uvicorn --workers N`` gives every worker the same socket: the worker whose event loop wakes
first accepts every connection waiting, so a few keep-alive clients (a reverse proxy's upstream
connections, a load test) can all land on one worker while the others idle. A listening socket
per worker (SO_REUSEPORT) is better but still uneven: the kernel hashes each connection to a
socket, and 16 connections split 11 to 5 as often as not, the busier worker's clients waiting twice
as long (issue 7, P2: the medians of the two groups were 50 and 23 ms). Here the supervisor
accepts every connection on the one socket and passes it (SCM_RIGHTS) to the next worker in turn,
which serves it as its own: N workers hold within one connection of each other.

    python -m ipt.serve --host 127.0.0.1 --port 8000 --workers 2 [--proxy-headers] ...

The supervisor binds the socket before any worker starts (so a port in use fails at once),
restarts a worker that dies (connections wait in the socket's queue meanwhile, and a worker that
is gone is passed over), and stops them all on SIGINT or SIGTERM. With one worker it is plain
uvicorn.
"""

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from multiprocessing.context import SpawnProcess

import uvicorn
from uvicorn._subprocess import get_subprocess

logger = logging.getLogger("ipt.serve")
APPLICATION = "ipt.asgi:application"
CHECK_SECONDS = 0.5
STOP_SECONDS = 10.0
PASS_SECONDS = 1.0  # how long a worker may leave a connection waiting before the next gets it
MAX_FDS_A_MESSAGE = 1
ACCEPT_RETRY_SECONDS = 0.01


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ipt.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--lifespan", default="off", choices=["auto", "on", "off"])
    parser.add_argument("--timeout-graceful-shutdown", type=float, default=None)
    parser.add_argument("--proxy-headers", action="store_true")
    parser.add_argument("--forwarded-allow-ips", default=None)
    arguments = parser.parse_args(argv)
    if arguments.workers < 1:
        parser.error("--workers must be at least 1")
    return arguments


def config(arguments: argparse.Namespace) -> uvicorn.Config:
    return uvicorn.Config(
        APPLICATION,
        host=arguments.host,
        port=arguments.port,
        log_level=arguments.log_level,
        access_log=arguments.access_log,
        lifespan=arguments.lifespan,
        timeout_graceful_shutdown=arguments.timeout_graceful_shutdown,
        proxy_headers=arguments.proxy_headers,
        forwarded_allow_ips=arguments.forwarded_allow_ips,
        ws_per_message_deflate=False,  # per-message deflate costs CPU on every signalling frame (P5)
    )


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


class DealtServer(uvicorn.Server):
    """A worker: uvicorn serving the connections the supervisor passes down ``channel``."""

    def __init__(self, server_config: uvicorn.Config, channel: socket.socket):
        super().__init__(server_config)
        self.channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # no listening socket of its own
        loop = asyncio.get_running_loop()

        def protocol() -> asyncio.Protocol:  # as uvicorn's own startup() makes them
            return self.config.http_protocol_class(  # type: ignore[call-arg]
                config=self.config, server_state=self.server_state, app_state=self.lifespan.state, _loop=loop
            )

        self.channel.setblocking(False)
        loop.add_reader(self.channel, self._take_connections, loop, protocol)

    def _take_connections(self, loop: asyncio.AbstractEventLoop, protocol) -> None:
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(self.channel, 1, MAX_FDS_A_MESSAGE)
            except (BlockingIOError, InterruptedError):
                return
            for fd in fds:
                connection = socket.socket(fileno=fd)
                connection.setblocking(False)
                loop.create_task(loop.connect_accepted_socket(protocol, connection))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().remove_reader(self.channel)  # no new connections, as uvicorn's own
        await super().shutdown(sockets=sockets)


class Supervisor:
    """One worker process per channel; accepts on the one socket and deals the connections in turn."""

    def __init__(self, server_config: uvicorn.Config, listener: socket.socket, workers: int):
        self.config = server_config
        self.listener = listener
        self.workers: list[SpawnProcess | None] = [None] * workers
        self.channels: list[socket.socket | None] = [None] * workers
        self.stopping = threading.Event()

    def start(self, index: int) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        ours.settimeout(PASS_SECONDS)  # a worker stuck with a full queue is passed over
        server = DealtServer(self.config, theirs)
        worker = get_subprocess(self.config, target=server.run, sockets=[])
        worker.start()
        theirs.close()
        old, self.channels[index] = self.channels[index], ours
        if old is not None:
            old.close()
        self.workers[index] = worker

    def deal(self) -> None:
        """Accept each connection and pass it to the next worker that takes it."""
        turn = 0
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed to stop; or out of file descriptors for a moment
                self.stopping.wait(ACCEPT_RETRY_SECONDS)
                continue
            with connection:
                for attempt in range(len(self.channels)):
                    index = (turn + attempt) % len(self.channels)
                    channel = self.channels[index]
                    try:
                        if channel is not None and socket.send_fds(channel, [b"c"], [connection.fileno()]):
                            turn = index + 1
                            break
                    except OSError:
                        continue  # that worker is gone, restarting or stuck: the next one
                else:
                    logger.warning("No worker took a connection; it was closed")

    def run(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        for index in range(len(self.workers)):
            self.start(index)
        dealer = threading.Thread(target=self.deal, name="dealer", daemon=True)
        dealer.start()
        logger.info(
            "%d workers on %s:%s, connections dealt in turn",
            len(self.workers),
            self.config.host,
            self.config.port,
        )
        while not self.stopping.wait(CHECK_SECONDS):
            for index, worker in enumerate(self.workers):
                if worker is not None and not worker.is_alive():
                    logger.warning("Worker %s exited (%s); starting another", worker.pid, worker.exitcode)
                    self.start(index)
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the dealer's accept()
        self.listener.close()
        dealer.join(STOP_SECONDS)
        self.stop()

    def stop(self) -> None:
        for worker in self.workers:
            if worker is not None and worker.is_alive() and worker.pid:
                os.kill(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            if worker is not None:
                worker.join(STOP_SECONDS)
                if worker.is_alive():
                    worker.kill()
                    worker.join()


def main(argv: Sequence[str] | None = None) -> None:
    arguments = parse(sys.argv[1:] if argv is None else argv)
    server_config = config(arguments)
    if arguments.workers == 1:
        uvicorn.Server(server_config).run()
        return
    logging.basicConfig(level=arguments.log_level.upper(), format="%(levelname)s: %(message)s")
    Supervisor(server_config, listening_socket(arguments.host, arguments.port), arguments.workers).run()


if __name__ == "__main__":
    main()
