"""The markup static/js/draft-store.js needs (quality target R3), checked without a browser: the
forms that keep a draft say which draft they are, pages say whose drafts they may touch, and pages
that only read carry no draft form. The behaviour itself is tested in test_drafts_browser.py."""

import re

import pytest

from ipt.practice.diary_actions import today
from ipt.visits.tests.conftest import make_course

pytestmark = pytest.mark.django_db

SCRIPT = '<script src="/static/js/draft-store.js" defer></script>'


@pytest.fixture
def course(personas):
    return make_course(personas.care_team)


def draft_forms(html: str) -> list[str]:
    return re.findall(r'<form [^>]*data-draft="([^"]+)"', html)


def test_the_three_forms_name_their_draft_by_form_and_record(client_for, personas, course):
    pages = {
        "patient": {
            "/my/diary/": f"diary:{today(course).isoformat()}",
            "/my/safety-plan/": f"safety-plan:{course.pk}",
        },
        "therapist": {
            f"/courses/{course.pk}/safety-plan/": f"safety-plan:{course.pk}",
            f"/courses/{course.pk}/formulation/": f"formulation:{course.pk}",
        },
    }
    for persona, urls in pages.items():
        client = client_for(persona)
        user = getattr(personas, persona)
        for url, draft in urls.items():
            html = client.get(url).content.decode()
            assert draft_forms(html) == [draft], url
            assert "data-draft-status" in html and SCRIPT in html, url
            assert f'data-draft-user="{user.pk}"' in html, url


def test_a_refused_save_marks_the_form_as_posted_so_the_page_keeps_what_was_sent(client_for, course):
    patient = client_for("patient")
    refused = patient.post("/my/diary/", {"intent": "save", "note": "no mood 3391"})
    assert refused.status_code == 400
    assert re.search(r'<form [^>]*data-draft="diary:[^"]+"[^>]*data-draft-posted', refused.content.decode())
    assert "data-draft-posted" not in patient.get("/my/diary/").content.decode()


def test_pages_that_only_read_keep_no_draft_and_anonymous_pages_name_no_user(client_for, course):
    supervisor = client_for("supervisor")
    for url in (f"/courses/{course.pk}/safety-plan/", f"/courses/{course.pk}/formulation/"):
        response = supervisor.get(url)
        assert response.status_code == 200 and draft_forms(response.content.decode()) == [], url
    login = client_for("anonymous").get("/login/").content.decode()
    assert SCRIPT in login  # it forgets the drafts of whoever just signed out
    assert "data-draft-user" not in login


def test_the_sign_out_form_is_the_one_the_script_watches(client_for, course):
    html = client_for("patient").get("/my/diary/").content.decode()
    assert re.search(r'<form method="post" action="/logout/"[^>]*data-sign-out', html)
