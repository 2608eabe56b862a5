"""P1 of quality.md: the busiest pages run a fixed number of queries, at most 15, whatever the data.

Each page is requested as the persona who uses it, on a bench practice (``seed_bench``) of a
small and of a ten times larger caseload on one therapist; the number of queries must be the same
at both sizes (no N+1) and at most 15. The sizes are small so that CI stays fast; the benchmark
(``make bench``) requests the same pages at 10,000 patients.

Each size is seeded inside a savepoint and rolled back, so one test sees both sizes. Audit rows
do not feed these pages, so the bench practice is seeded with few of them here.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse

from ipt.accounts.models import CareTeam, User
from ipt.benchmarking import seed
from ipt.benchmarking.page_queries import uncached_page_queries
from ipt.care.models import TreatmentCourse
from ipt.conftest import sign_in

pytestmark = pytest.mark.django_db

SMALL, LARGE = 20, 200
MAX_QUERIES = 15
AUDIT_ROWS_PER_PATIENT = 5


TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass(frozen=True)
class Measured:
    status: int
    statements: tuple[str, ...]

    @property
    def queries(self) -> list[str]:
        """Statements that read or write data. Savepoints (transaction control) are left out: the test
        runs inside a transaction, where every ``atomic()`` of the view adds a pair of them that in
        production is a BEGIN and COMMIT the driver sends without Django counting them."""
        return [sql for sql in self.statements if not sql.upper().startswith(TRANSACTION_CONTROL)]


def _first_patient() -> tuple[User, CareTeam, TreatmentCourse]:
    patient = User.objects.get(email=seed.patient_email(1))
    team = CareTeam.objects.get(patient=patient)
    return patient, team, TreatmentCourse.objects.filter(care_team=team).order_by("-created_at").first()


# page name -> (who requests it, which URL), built once the practice is seeded
PAGES: dict[str, Callable[[], tuple[User, str]]] = {}


def page(name: str):
    def register(build):
        PAGES[name] = build
        return build

    return register


@page("caseload (therapist home)")
def _caseload():
    return User.objects.get(email=seed.therapist_email(1)), "/"


@page("patient chart (course overview)")
def _course_overview():
    _, _, course = _first_patient()
    return User.objects.get(email=seed.therapist_email(1)), reverse("course_overview", args=[course.pk])


@page("patient chart (patient detail)")
def _patient_detail():
    _, team, _ = _first_patient()
    return User.objects.get(email=seed.therapist_email(1)), reverse("patient_detail", args=[team.pk])


@page("patient home")
def _patient_home():
    patient, _, _ = _first_patient()
    return patient, "/"


@page("inbox (therapist)")
def _inbox_therapist():
    return User.objects.get(email=seed.therapist_email(1)), _inbox_url()


@page("inbox (patient)")
def _inbox_patient():
    patient, _, _ = _first_patient()
    return patient, _inbox_url()


def _inbox_url() -> str:
    try:
        return reverse("inbox")
    except NoReverseMatch:
        return "/messages/"


@functools.cache
def _measure(patients: int, name: str) -> Measured:
    """Seed a practice of ``patients`` on one therapist, request the page twice (the first warms
    per-process caches), count the second request's queries, and roll everything back. The cache is
    emptied before the counted request: what is counted is the page built from the database (the
    caseload table is otherwise served from the cache, ipt/accounts/caseload.py)."""
    build = PAGES[name]
    with transaction.atomic():
        seed.seed(patients=patients, therapists=1, audit_per_patient=AUDIT_ROWS_PER_PATIENT)
        user, url = build()
        client = sign_in(Client(), user)
        response, queries = uncached_page_queries(client, url)
        transaction.set_rollback(True)
    return Measured(response.status_code, tuple(queries))


def _listing(measured: Measured) -> str:
    return "\n".join(f"  {number:2}. {sql[:300]}" for number, sql in enumerate(measured.queries, start=1))


def _measure_or_skip(patients: int, name: str) -> Measured:
    measured = _measure(patients, name)
    if measured.status == 404 and name.startswith("inbox"):
        pytest.skip("the inbox (/messages/) answers 404: the messaging views are not there yet")
    assert measured.status == 200, f"{name} at {patients} patients: status {measured.status}"
    return measured


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_runs_the_same_number_of_queries_at_a_small_and_a_ten_times_larger_caseload(name):
    small, large = _measure_or_skip(SMALL, name), _measure_or_skip(LARGE, name)
    assert len(small.queries) == len(large.queries), (
        f"{name}: {len(small.queries)} queries at {SMALL} patients but {len(large.queries)} at {LARGE} "
        f"(grows with the data).\nAt {SMALL}:\n{_listing(small)}\nAt {LARGE}:\n{_listing(large)}"
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_runs_at_most_15_queries(name):
    large = _measure_or_skip(LARGE, name)
    assert len(large.queries) <= MAX_QUERIES, (
        f"{name}: {len(large.queries)} queries, more than {MAX_QUERIES}:\n{_listing(large)}"
    )
