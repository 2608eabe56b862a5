"""Run the background-task worker for the configured backend (reminders and other tasks).

Database backend (default): ``db_worker``. RQ backend (REDIS_URL or IPT_TASKS_BACKEND=rq):
``rqworker --job-class django_tasks_rq.Job --with-scheduler``; the scheduler moves tasks queued
with ``run_after`` (reminders) onto the queue when they fall due, so it must run in one worker.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

RQ_BACKEND = "django_tasks_rq.RQBackend"


class Command(BaseCommand):
    help = "Run the background-task worker of the configured backend (db_worker or rqworker)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Database backend: seconds between polls"
        )

    def handle(self, *args, interval: float, verbosity: int, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        if backend == RQ_BACKEND:
            queues = settings.TASKS["default"].get("QUEUES") or ["default"]
            self.stdout.write(f"Task worker: RQ ({', '.join(queues)}) with its scheduler")
            call_command(
                "rqworker", *queues, job_class="django_tasks_rq.Job", with_scheduler=True, verbosity=verbosity
            )
        else:
            self.stdout.write("Task worker: database backend")
            call_command("db_worker", reload=False, interval=interval, verbosity=verbosity)
