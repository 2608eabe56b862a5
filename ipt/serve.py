"""uvicorn with N worker processes, each accepting on its own listening socket (SO_REUSEPORT).

``uvicorn --workers N`` gives every worker the same socket: the worker whose event loop wakes
first accepts every connection waiting, so a few keep-alive clients (a reverse proxy's upstream
connections, a load test) can all land on one worker while the others idle (bench/README.md:
the two workers used 45 % to 92 % of the machine from one run to the next). Here each worker
has a socket of its own on the same address, and the kernel spreads new connections over them.

    python -m ipt.serve --host 127.0.0.1 --port 8000 --workers 2 [--proxy-headers] ...

The supervisor binds every socket before any worker starts (so a port in use fails at once),
restarts a worker that dies, on the same socket (connections queued on it are not lost), and
stops them all on SIGINT or SIGTERM. With one worker it is plain uvicorn.
"""

import argparse
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
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    """One worker process per socket; a worker that dies is started again on its socket."""

    def __init__(self, server_config: uvicorn.Config, sockets: list[socket.socket]):
        self.config = server_config
        self.sockets = sockets
        self.workers: list[SpawnProcess | None] = [None] * len(sockets)
        self.stopping = threading.Event()

    def start(self, index: int) -> None:
        server = uvicorn.Server(self.config)
        worker = get_subprocess(self.config, target=server.run, sockets=[self.sockets[index]])
        worker.start()
        self.workers[index] = worker

    def run(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        for index in range(len(self.sockets)):
            self.start(index)
        logger.info(
            "%d workers on %s:%s, one socket each", len(self.sockets), self.config.host, self.config.port
        )
        while not self.stopping.wait(CHECK_SECONDS):
            for index, worker in enumerate(self.workers):
                if worker is not None and not worker.is_alive():
                    logger.warning("Worker %s exited (%s); starting another", worker.pid, worker.exitcode)
                    self.start(index)
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
    sockets = [listening_socket(arguments.host, arguments.port) for _ in range(arguments.workers)]
    Supervisor(server_config, sockets).run()


if __name__ == "__main__":
    main()
