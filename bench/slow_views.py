"""A quick page on a worker that is making PDF reports (not a target; see bench/README.md).

Usage: DATABASE_URL=<a database kept by ``bench/run.py --keep-database``> \\
       .venv/bin/python bench/slow_views.py [--pages 150]

One ``python -m ipt.serve`` worker; one therapist asks for their course report again and again
while another opens a chart every 20 ms. Prints the chart's p50, p95 and max, and the reports'
median. Before PDFs ran on threads of their own (``@slow``), every chart waited behind a report.
"""

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipt.settings")
os.environ["DEBUG"] = "false"

import django

django.setup()

import run as bench  # noqa: E402
from _server import Server  # noqa: E402


def get(connection: http.client.HTTPConnection, path: str, cookie: str) -> int:
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    return response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=150)
    arguments = parser.parse_args()
    people = bench.pick_people(2)
    (reporter, reader), (report_course, chart_course) = people["therapists"][:2], people["charts"][:2]
    cookies = {
        who.pk: "; ".join(f"{k}={v.value}" for k, v in bench.sign_in(who).cookies.items())
        for who in (reporter, reader)
    }
    log = Path(tempfile.mkdtemp(prefix="ipt-slow-views-")) / "server.log"
    server = Server(bench.child_env(os.environ["DATABASE_URL"]), log)
    stop, reports = threading.Event(), []

    def make_reports() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while not stop.is_set():
            started = time.perf_counter()
            status = get(connection, f"/courses/{report_course.pk}/report.pdf", cookies[reporter.pk])
            reports.append((status, time.perf_counter() - started))

    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        chart = f"/courses/{chart_course.pk}/"
        for _ in range(5):
            assert get(connection, chart, cookies[reader.pk]) == 200
        reporter_thread = threading.Thread(target=make_reports)
        reporter_thread.start()
        time.sleep(1)
        seconds = []
        for _ in range(arguments.pages):
            started = time.perf_counter()
            assert get(connection, chart, cookies[reader.pk]) == 200
            seconds.append(time.perf_counter() - started)
            time.sleep(0.02)
        stop.set()
        reporter_thread.join()
    finally:
        server.stop()
    seconds.sort()
    print(
        f"chart while reports are made: p50 {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {seconds[int(len(seconds) * 0.95)] * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms; "
        f"{len(reports)} reports (status {sorted({s for s, _ in reports})}), "
        f"median {statistics.median(d for _, d in reports) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
