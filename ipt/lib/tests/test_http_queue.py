"""Django under ASGI on a few long-lived threads (ipt/lib/http_queue.py): the middleware chain is
entered once, in a thread; at most IPT_HTTP_CONCURRENCY page views of a process run at once and the
others go in the order they came; requests that change something have threads of their own; the
threads keep their database connections unless Django's own rules close them (too old, broken, or
CONN_MAX_AGE 0 as with PostgreSQL's pool)."""

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass

import pytest
from asgiref.sync import iscoroutinefunction
from django.db import connection
from django.http import HttpResponse
from django.urls import resolve, reverse

from ipt.lib.http_queue import QueuedASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Request:
    """What the queue looks at: the method and the path (it keeps the URL match on the request);
    the name tells the requests apart."""

    name: str
    method: str = "GET"
    path_info: str = "/"


def _handler(settings, threads: int, respond) -> QueuedASGIHandler:
    settings.IPT_HTTP_CONCURRENCY = threads
    handler = QueuedASGIHandler()
    handler.get_response = respond  # type: ignore[method-assign]  # what runs in the thread
    return handler


def test_the_middleware_chain_is_sync_so_a_request_enters_a_thread_once(settings):
    handler = QueuedASGIHandler()
    assert not iscoroutinefunction(handler._middleware_chain)  # type: ignore[attr-defined]


def test_at_most_the_configured_requests_run_at_once_and_the_rest_in_order(settings):
    running, most, started = 0, 0, []
    lock = threading.Lock()

    def respond(request):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            started.append(request)
        time.sleep(0.02)
        with lock:
            running -= 1
        return HttpResponse(request.name)

    handler = _handler(settings, 2, respond)

    async def many():
        tasks = []
        for number in range(8):
            tasks.append(asyncio.create_task(handler.get_response_async(Request(str(number)))))
            await asyncio.sleep(0)  # they arrive one after another
        return await asyncio.gather(*tasks)

    responses = asyncio.run(many())
    assert [response.content for response in responses] == [str(n).encode() for n in range(8)]
    assert most == 2
    order = [int(request.name) for request in started]
    assert sorted(order) == list(range(8))
    # Two run side by side, so either may start first; none starts earlier than that.
    assert all(abs(order.index(n) - n) <= 1 for n in range(8))


REPORT = "/courses/5e0c8f2e-0a64-4a8c-9a8e-52e933e6bd9d/report.pdf"
PAGE = Request("page")
WRITE = Request("write", "POST")
PDF = Request("report", path_info=REPORT)


@pytest.mark.parametrize(
    ("held", "other", "passes"),
    [
        (PAGE, WRITE, True),
        (WRITE, Request("delete", "DELETE"), False),
        (WRITE, PAGE, True),
        (PDF, PAGE, True),
        (PDF, Request("404", path_info="/no/such/page/"), True),
        (PDF, Request("another report", path_info=REPORT), False),
        (PAGE, PDF, True),
    ],
    ids=[
        "a write passes a page view",
        "writes wait for each other",
        "a page view passes a write",
        "a page passes a report",
        "a 404 passes a report",
        "reports wait for each other",
        "a report passes a page",
    ],
)
def test_writes_slow_views_and_page_views_have_threads_of_their_own(settings, held, other, passes):
    """A submission should not wait behind page views, nor a page behind a PDF report (hundreds of ms)."""
    settings.IPT_HTTP_WRITE_THREADS = settings.IPT_HTTP_SLOW_THREADS = 1
    release = threading.Event()
    finished = []

    def respond(request):
        if request is held:
            release.wait(5)
        finished.append(request.name)
        return HttpResponse()

    handler = _handler(settings, 1, respond)

    async def scenario():
        first = asyncio.create_task(handler.get_response_async(held))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(handler.get_response_async(other))
        await asyncio.sleep(0.2)
        assert finished == ([other.name] if passes else []), f"after 0.2 s: {finished}"
        release.set()
        await asyncio.gather(first, second)

    asyncio.run(scenario())
    assert finished == ([other.name, held.name] if passes else [held.name, other.name])


def test_the_pdf_views_are_the_slow_ones():
    slow = {
        name
        for name in ("my_record_pdf", "course_report_pdf", "my_record_json", "home", "course_overview")
        if getattr(
            resolve(reverse(name, args=[uuid.uuid4()] if "course" in name else [])).func, "runs_slow", False
        )
    }
    assert slow == {"my_record_pdf", "course_report_pdf"}


def test_a_thread_keeps_its_connection_unless_django_would_close_it(settings, monkeypatch):
    from ipt.lib import http_queue

    seen, checked_in = [], []

    def close_old_connections():
        checked_in.append(threading.current_thread().name)
        original()

    original = http_queue.close_old_connections
    monkeypatch.setattr(http_queue, "close_old_connections", close_old_connections)

    def respond(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        seen.append(connection.connection)
        if request.name == "too old":
            connection.close_at = time.monotonic() - 1  # as when CONN_MAX_AGE has passed
        return HttpResponse()

    handler = _handler(settings, 1, respond)

    async def one_by_one():
        for name in ("first", "too old", "after"):
            await handler.get_response_async(Request(name))

    asyncio.run(one_by_one())
    # Django's rules are applied at the start and the end of each request, in the serving thread.
    assert len(checked_in) == 6 and all(name.startswith("django-http") for name in checked_in)
    first, too_old, after = seen
    if connection.settings_dict["CONN_MAX_AGE"] == 0:  # PostgreSQL: back to the pool each time
        assert first is not too_old and too_old is not after
    else:
        assert first is too_old, "the thread's connection is kept between requests"
        if not connection.is_in_memory_db():  # type: ignore[attr-defined]  # Django never closes an in-memory database
            assert after is not too_old, "a connection past its age is closed at the end of a request"
