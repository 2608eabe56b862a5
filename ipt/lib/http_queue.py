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
  a message sent) is what a person waits on after pressing a button. Such requests (any method but
  GET, HEAD, OPTIONS and TRACE) run on threads of their own (``IPT_HTTP_WRITE_THREADS``), in the
  order they came, so they never wait for the page views queued or running (P4). Page views keep
  theirs: writes cannot take them.
- A page view that takes long to make (a PDF report, a patient's whole record: views marked
  ``@slow``) runs on threads of its own too (``IPT_HTTP_SLOW_THREADS``), so the quick pages of its
  worker do not wait a few hundred milliseconds behind it.
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.urls import Resolver404, resolve

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def slow(view):
    """Marks a view that takes long to make: it runs on the slow threads (the outermost decorator)."""
    view.runs_slow = True
    return view


class QueuedASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self.load_middleware(is_async=False)
        self._page_views = ThreadPoolExecutor(settings.IPT_HTTP_CONCURRENCY, thread_name_prefix="django-http")
        self._writes = ThreadPoolExecutor(
            settings.IPT_HTTP_WRITE_THREADS, thread_name_prefix="django-http-write"
        )
        self._slow = ThreadPoolExecutor(settings.IPT_HTTP_SLOW_THREADS, thread_name_prefix="django-http-slow")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def get_response_async(self, request):
        return await sync_to_async(
            self._respond, thread_sensitive=False, executor=self._threads_for(request)
        )(request)

    def _threads_for(self, request) -> ThreadPoolExecutor:
        if request.method not in SAFE_METHODS:
            return self._writes
        try:
            request.queue_match = resolve(request.path_info)
        except Resolver404:
            return self._page_views
        return self._slow if getattr(request.queue_match.func, "runs_slow", False) else self._page_views

    def resolve_request(self, request):
        """The match the queue made to pick the threads, instead of resolving the path again."""
        match = getattr(request, "queue_match", None)
        if match is None or hasattr(request, "urlconf"):  # a middleware chose another URL configuration
            return super().resolve_request(request)
        request.resolver_match = match
        return match

    def _respond(self, request):
        close_old_connections()
        try:
            return self.get_response(request)
        finally:
            close_old_connections()
