"""Django under ASGI on a few long-lived threads per process, entered once per request.

What Django's own ASGI handler cost a sync project like ours (issue 7, P2-P4):

- Its middleware chain is built for async: the async-capable middleware at the bottom of ours
  (axes, clickjacking) ran in the event loop, so a request went into a thread for the sync
  middleware, back to the event loop, and into the thread again for the view. Here the whole
  chain is sync and a request enters a thread once.
- Every request ran in a new thread, so its database connection was new too (thread-local): on
  SQLite opening one and reading the schema cost about as much as a page's queries. Here
  requests run on ``IPT_HTTP_CONCURRENCY`` threads per process that keep their connections; as
  Django does at the start and end of each request, connections that are broken, in error or too
  old are closed (``close_old_connections``), and PostgreSQL's go back to the pool.
- Each request also got a thread of its own for Django's request signals (``ThreadSensitiveContext``),
  started and joined per request; they run on asgiref's one shared thread instead.
- A process runs Python one thread at a time: with sixteen requests in flight a worker swapped
  between them every few milliseconds, all of them finished late, and on SQLite the request that
  held the write lock waited its turn while the others queued behind that lock. Here the others
  wait in the event loop, in the order they came. The request body is read and the response sent
  outside the threads, so a slow client holds none of them.
- A request that changes something (a questionnaire submitted, with the risk alert it may raise;
  a message sent) is what a person waits on after pressing a button, so it takes the next free
  thread before the page views waiting (P4: its p95 under load went from 180 to 23 ms on SQLite,
  with one thread per process). Page views still get their turn: after ``WRITES_IN_A_ROW``
  writes have gone first, the oldest waiting page view goes next.
"""

import asyncio
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
WRITES_IN_A_ROW = 3


class Admission:
    """At most ``slots`` requests at once (one per thread); waiting writes go before waiting reads.

    Lives in one event loop (a worker process has one), so it needs no lock.
    """

    def __init__(self, slots: int):
        self.free = slots
        self.waiting: dict[bool, deque[asyncio.Future]] = {True: deque(), False: deque()}
        self.writes_in_a_row = 0

    async def enter(self, write: bool) -> None:
        if self.free and not (self.waiting[True] or self.waiting[False]):
            self.free -= 1
            return
        queue = self.waiting[write]
        turn = asyncio.get_running_loop().create_future()
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if not turn.cancelled():
                self.leave()  # handed the slot just as the request was given up: pass it on
            elif turn in queue:
                queue.remove(turn)
            raise

    def leave(self) -> None:
        writes, reads = self.waiting[True], self.waiting[False]
        reads_turn = reads and self.writes_in_a_row >= WRITES_IN_A_ROW
        for queue in (reads, writes) if reads_turn else (writes, reads):
            while queue:
                turn = queue.popleft()
                if not turn.cancelled():
                    self.writes_in_a_row = self.writes_in_a_row + 1 if queue is writes else 0
                    turn.set_result(None)
                    return
        self.free += 1


class QueuedASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self.load_middleware(is_async=False)
        self._threads = ThreadPoolExecutor(settings.IPT_HTTP_CONCURRENCY, thread_name_prefix="django-http")
        self._admission: Admission | None = None  # made in the event loop, on the first request

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def get_response_async(self, request):
        if self._admission is None:
            self._admission = Admission(settings.IPT_HTTP_CONCURRENCY)
        await self._admission.enter(write=request.method not in SAFE_METHODS)
        try:
            return await sync_to_async(self._respond, thread_sensitive=False, executor=self._threads)(request)
        finally:
            self._admission.leave()

    def _respond(self, request):
        close_old_connections()
        try:
            return self.get_response(request)
        finally:
            close_old_connections()
