"""The diary's pages and charts for every persona: writing in one tap, refusals, reading, audit."""

from datetime import timedelta

import pytest
from django.urls import reverse

from ipt.audit.models import AuditEvent
from ipt.care.models import CourseStatus
from ipt.lib.charts import IMAGE_CSP
from ipt.practice.diary_actions import InteractionInput, save_diary_entry, today
from ipt.practice.models import DiaryEntry
from ipt.visits.tests.conftest import make_course

SECRET_NAME = "ZED-SECRET-NAME"
SECRET_WORDS = "SECRET-WORDS about the argument"
STAFF = ["therapist", "supervisor", "other_therapist", "admin"]


@pytest.fixture
def course(personas):
    return make_course(personas.care_team)


@pytest.fixture
def other_course(personas):
    return make_course(personas.other_care_team)


def sam(course):
    return course.inventory.get()


def write(personas, course, days_ago=0, mood=6, interactions=None):
    if interactions is None:
        interactions = [
            InteractionInput(feeling="bad", person=sam(course), what_happened=SECRET_WORDS),
            InteractionInput(feeling="good", other_person=SECRET_NAME),
        ]
    return save_diary_entry(
        actor=personas.patient,
        course=course,
        day=today() - timedelta(days=days_ago),
        mood=mood,
        interactions=interactions,
    )


def form(course, mood="7", **rows):
    data = {"intent": "save", "mood": mood, "note": "a long walk"}
    data.update({f"i0-{k}": v for k, v in rows.items()})
    return data


def day_url(days_ago=0) -> str:
    return reverse("my_diary_day", args=[(today() - timedelta(days=days_ago)).isoformat()])


def snapshot():
    return [
        (
            e.day,
            e.mood,
            e.note,
            sorted((str(i.person_id or ""), i.other_person, i.feeling) for i in e.interactions.all()),
        )
        for e in DiaryEntry.objects.prefetch_related("interactions")
    ]


# The patient's pages ---------------------------------------------------------------------------


def test_the_patient_sees_todays_form_with_big_mood_buttons_and_their_people(client_for, course):
    response = client_for("patient").get(reverse("my_diary"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="diary-mood-input"') == 11
    assert html.count('name="i0-who"') == 1 and 'name="i2-who"' in html
    assert f'<option value="{sam(course).pk}">Sam</option>' in html
    assert '<option value="other">Someone else</option>' in html
    assert AuditEvent.objects.filter(action="diary.read", object_id=str(course.pk)).exists()


def test_the_patient_saves_today_in_one_tap(client_for, course):
    data = form(course, **{"who": str(sam(course).pk), "what_happened": "talked", "feeling": "mixed"})
    data.update({"i1-who": "other", "i1-other_name": "Jo", "i1-feeling": "good"})
    response = client_for("patient").post(reverse("my_diary"), data)
    assert response.status_code == 302
    entry = DiaryEntry.objects.get()
    assert (entry.course, entry.day, entry.mood, entry.note) == (course, today(), 7, "a long walk")
    assert sorted((i.other_person, i.feeling) for i in entry.interactions.all()) == [
        ("", "mixed"),
        ("Jo", "good"),
    ]
    assert AuditEvent.objects.filter(action="diary.create").count() == 1


def test_saving_today_again_replaces_it(client_for, personas, course):
    write(personas, course)
    client = client_for("patient")
    page = client.get(reverse("my_diary")).content.decode()
    assert 'id="id_mood_6" required checked' in page
    assert page.count(" checked") == 3  # the mood and the two rows' feelings
    assert client.post(reverse("my_diary"), form(course, mood="2")).status_code == 302
    entry = DiaryEntry.objects.get()
    assert (entry.mood, entry.interactions.count()) == (2, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mood": "11"}, "Mood is a whole number from 0 (worst) to 10 (best)."),
        ({"mood": ""}, "Choose your mood, from 0 to 10."),
        ({"i0-who": "other"}, "Write the person&#x27;s name"),
        ({"i0-who": "other", "i0-other_name": "Jo"}, "Choose how it felt: good, mixed or bad."),
        ({"i0-what_happened": "something"}, "Say who this was with, or leave the whole row empty."),
        ({"i0-who": "other", "i0-other_name": "Jo", "i0-feeling": "awful"}, "Choose how it felt"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_changes(client_for, personas, course, data, message):
    write(personas, course, mood=4)
    before = snapshot()
    response = client_for("patient").post(reverse("my_diary"), {**form(course), **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert snapshot() == before


def test_a_person_from_another_courses_inventory_is_refused(client_for, course, other_course):
    data = form(course, who=str(sam(other_course).pk), feeling="good")
    response = client_for("patient").post(reverse("my_diary"), data)
    assert response.status_code == 400
    assert "Choose someone from your list of people" in response.content.decode()
    assert not DiaryEntry.objects.exists()


def test_a_past_day_can_be_filled_in_and_deleted(client_for, course):
    client = client_for("patient")
    assert client.get(day_url(3)).status_code == 200
    assert client.post(day_url(3), form(course, mood="3")).status_code == 302
    assert DiaryEntry.objects.get().day == today() - timedelta(days=3)
    page = client.get(day_url(3)).content.decode()
    assert "Delete the entry for" in page
    assert client.post(day_url(3), {"intent": "delete"}).status_code == 302
    assert not DiaryEntry.objects.exists()
    assert AuditEvent.objects.filter(action="diary.delete").count() == 1


def test_deleting_a_day_with_no_entry_is_refused(client_for, course):
    response = client_for("patient").post(day_url(3), {"intent": "delete"})
    assert response.status_code == 400
    assert "There is no entry for that day." in response.content.decode()


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2026-2-1", "20260201", "2026-02-30"])
def test_a_malformed_day_is_a_clear_404(client_for, course, day):
    response = client_for("patient").get(reverse("my_diary_day", args=[day]))
    assert response.status_code == 404
    assert "give it as YYYY-MM-DD" in response.content.decode()


def test_a_future_day_is_refused_and_nothing_is_saved(client_for, course):
    client = client_for("patient")
    url = reverse("my_diary_day", args=[(today() + timedelta(days=1)).isoformat()])
    assert "That day has not come yet" in client.get(url).content.decode()
    response = client.post(url, form(course))
    assert response.status_code == 404
    assert not DiaryEntry.objects.exists()


def test_days_more_than_30_days_back_are_read_only(client_for, personas, course):
    entry = write(personas, course, days_ago=30)
    DiaryEntry.objects.filter(pk=entry.pk).update(day=today() - timedelta(days=31))
    client = client_for("patient")
    page = client.get(day_url(31))
    assert page.status_code == 200
    html = page.content.decode()
    assert "can be read but not changed" in html and 'name="mood"' not in html
    assert SECRET_WORDS in html
    before = snapshot()
    response = client.post(day_url(31), form(course, mood="9"))
    assert response.status_code == 400
    assert "no longer changed" in response.content.decode()
    assert client.post(day_url(31), {"intent": "delete"}).status_code == 400
    assert snapshot() == before


def test_a_finished_course_shows_the_diary_without_a_form(client_for, personas, course):
    write(personas, course)
    course.status = CourseStatus.COMPLETED
    course.save()
    client = client_for("patient")
    html = client.get(reverse("my_diary")).content.decode()
    assert "can be read but not changed" in html and 'name="mood"' not in html
    assert client.post(reverse("my_diary"), form(course)).status_code == 400
    assert DiaryEntry.objects.get().mood == 6


def test_the_last_14_days_are_listed_with_the_chart_and_its_table(client_for, personas, course):
    write(personas, course, days_ago=1, mood=3)
    write(personas, course, days_ago=14, mood=9, interactions=[])
    html = client_for("patient").get(reverse("my_diary")).content.decode()
    assert f'src="{reverse("my_mood_chart")}"' in html
    assert SECRET_NAME in html and SECRET_WORDS in html
    assert day_url(1) in html
    assert day_url(14) not in html
    missed = html.split("Missed a day?")[1]
    assert day_url(2) in missed and day_url(13) in missed
    assert day_url(1) not in missed


def test_only_the_first_person_row_is_open_until_more_are_used(client_for, personas, course):
    client = client_for("patient")
    html = client.get(reverse("my_diary")).content.decode()
    assert html.count("<summary>Another person</summary>") == 2
    # A refused post keeps the third row open, since it holds something.
    data = {**form(course, mood="11"), "i2-who": "other"}
    html = client.post(reverse("my_diary"), data).content.decode()
    assert html.count("<summary>Another person</summary>") == 1
    write(personas, course)  # two interactions: rows 1 and 2 open
    html = client.get(reverse("my_diary")).content.decode()
    assert html.count("<summary>Another person</summary>") == 1


def test_the_patients_chart_is_an_svg_image_with_its_own_csp_and_is_audited(client_for, personas, course):
    write(personas, course, days_ago=1, mood=3)
    response = client_for("patient").get(reverse("my_mood_chart"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Security-Policy"] == IMAGE_CSP
    svg = response.content.decode()
    assert "<script" not in svg
    day = today() - timedelta(days=1)
    assert f"Sam (felt bad) – {day.day} {day:%b}: 3" in svg
    assert f"{SECRET_NAME} (felt good)" in svg
    assert AuditEvent.objects.filter(action="diary.read", detail__format="svg").exists()


def test_the_patient_sees_their_mood_with_and_without_each_person(client_for, personas, course):
    write(personas, course, days_ago=1, mood=3)  # Sam (bad) and the secret name (good)
    write(personas, course, days_ago=2, mood=8, interactions=[])
    client = client_for("patient")
    html = client.get(reverse("my_diary")).content.decode()
    section = html[html.index('id="people-heading"') :]
    assert f'src="{reverse("my_mood_chart")}?chart=people"' in section
    sam_row = section[section.index(">Sam<") :].split("</tr>")[0]
    # one day with contact (mood 3) of two logged; the day without had mood 8
    assert "1 of 2" in sam_row and ">3<" in sam_row.replace(".0", "") and ">8<" in sam_row.replace(".0", "")
    response = client.get(reverse("my_mood_chart"), {"chart": "people"})
    assert response.status_code == 200 and response["Content-Security-Policy"] == IMAGE_CSP
    assert "Sam, 1 day(s) with contact – 3" in response.content.decode()
    assert AuditEvent.objects.filter(action="diary.read", detail__chart="people").exists()


def test_the_patients_people_section_waits_for_an_interaction_and_an_unknown_chart_is_a_400(
    client_for, personas, course
):
    write(personas, course, days_ago=1, interactions=[])
    client = client_for("patient")
    assert 'id="people-heading"' not in client.get(reverse("my_diary")).content.decode()
    response = client.get(reverse("my_mood_chart"), {"chart": "pie"})
    assert response.status_code == 400 and "chart is mood or people" in response.content.decode()


def test_patients_never_see_another_patients_diary(client_for, personas, course, other_course):
    write(personas, course, days_ago=1)
    client = client_for("other_patient")
    for url in [reverse("my_diary"), day_url(1), reverse("my_mood_chart")]:
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET_NAME not in response.content.decode()
        assert SECRET_WORDS not in response.content.decode()
    for name in ["course_diary", "course_mood_chart"]:
        response = client.get(reverse(name, args=[course.pk]))
        assert response.status_code == 403
        assert SECRET_NAME not in response.content.decode()
    # Writing from their own account lands in their own course, never in this one.
    assert client.post(reverse("my_diary"), form(other_course)).status_code == 302
    assert DiaryEntry.objects.get(course=other_course).mood == 7
    assert DiaryEntry.objects.filter(course=course).count() == 1


def test_a_patient_without_a_course_gets_a_404(client_for, personas):
    assert client_for("patient").get(reverse("my_diary")).status_code == 404


@pytest.mark.parametrize("persona", STAFF)
def test_staff_cannot_write_or_open_the_patients_diary_pages(client_for, course, persona):
    client = client_for(persona)
    for url in [reverse("my_diary"), day_url(1), reverse("my_mood_chart")]:
        assert client.get(url).status_code == 403
    assert client.post(reverse("my_diary"), form(course)).status_code == 403
    assert not DiaryEntry.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client_for, course):
    client = client_for("anonymous")
    for url in [reverse("my_diary"), day_url(1), reverse("course_diary", args=[course.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


# The course's page -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["therapist", "supervisor"])
def test_the_care_team_reads_the_summary_since_the_last_session(client_for, personas, course, persona):
    from ipt.practice.tests.test_diary import _held

    write(personas, course, days_ago=6, mood=1, interactions=[])  # before the last session
    write(personas, course, days_ago=3, mood=4)
    write(personas, course, days_ago=2, mood=6, interactions=[])
    write(
        personas,
        course,
        days_ago=0,
        mood=8,
        interactions=[InteractionInput(feeling="good", person=sam(course))],
    )
    _held(course, personas.therapist, days_ago=3)
    response = client_for(persona).get(reverse("course_diary", args=[course.pk]))
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    session_day = today() - timedelta(days=3)
    assert f"Since the session on {session_day:%a} {session_day.day} {session_day:%b}" in html
    assert "<dt>Days logged</dt><dd>3 of 4</dd>" in html
    assert "mean 6.0, lowest 4, highest 8" in html
    assert "rising (+9.0 a week)" in html
    # Sam: with contact on days 3 and 0 ago (4, 8) -> 6.0; without on day 2 ago (6) -> 6.0.
    assert (
        "<strong>Sam</strong>: 2 interactions (1 good, 0 mixed, 1 bad); mean mood 6.0 on days with contact, 6.0 on days without."
        in html
    )
    assert (
        f"<strong>{SECRET_NAME}</strong>: 1 interaction (1 good, 0 mixed, 0 bad); mean mood 4.0 on days with contact, 7.0 on days without."
        in html
    )
    # The accessible tables beside the charts hold the same numbers.
    assert (
        '<th scope="row" data-label="Person">Sam</th> <td data-label="Days with contact">2 of 3</td> <td data-label="Mean mood with">6.0</td> <td data-label="Mean mood without">6.0</td> <td data-label="Felt good / mixed / bad">1 / 0 / 1</td>'
        in html
    )
    assert f"{reverse('course_mood_chart', args=[course.pk])}?chart=mood" in html
    assert f"{reverse('course_mood_chart', args=[course.pk])}?chart=people" in html
    assert "Earlier entries" in html
    assert AuditEvent.objects.filter(action="diary.read", actor=getattr(personas, persona)).exists()


def test_without_a_held_session_the_page_shows_the_last_7_days(client_for, personas, course):
    write(personas, course, days_ago=1, mood=5)
    html = client_for("therapist").get(reverse("course_diary", args=[course.pk])).content.decode()
    assert "No session held yet: the last 7 days" in html
    assert "1 of 7" in html
    assert "too few days to tell" in html
    assert "mean mood 5.0 on days with contact (every day logged had contact)" in " ".join(html.split())


def test_an_empty_diary_says_so(client_for, course):
    html = client_for("therapist").get(reverse("course_diary", args=[course.pk])).content.decode()
    assert "No diary entries in this period." in html


@pytest.mark.parametrize("chart", ["mood", "people"])
def test_the_course_charts_are_svg_images_for_the_care_team(client_for, personas, course, chart):
    write(personas, course, days_ago=1, mood=3)
    response = client_for("therapist").get(reverse("course_mood_chart", args=[course.pk]), {"chart": chart})
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == IMAGE_CSP
    svg = response.content.decode()
    assert "<script" not in svg
    expected = "Sam (felt bad)" if chart == "mood" else "Sam, 1 day(s) with contact – 3"
    assert expected in svg
    assert AuditEvent.objects.filter(action="diary.read", detail__chart=chart).exists()


def test_an_unknown_chart_is_a_clear_400(client_for, course):
    response = client_for("therapist").get(reverse("course_mood_chart", args=[course.pk]), {"chart": "pie"})
    assert response.status_code == 400
    assert "chart is mood or people" in response.content.decode()


@pytest.mark.parametrize("name", ["course_diary", "course_mood_chart"])
def test_the_other_teams_course_is_a_404_and_patients_and_admins_are_refused(
    client_for, personas, course, name
):
    write(personas, course)
    url = reverse(name, args=[course.pk])
    assert client_for("other_therapist").get(url).status_code == 404
    assert client_for("patient").get(url).status_code == 403
    assert client_for("admin").get(url).status_code == 403
    assert (
        client_for("therapist").get(reverse(name, args=["00000000-0000-0000-0000-000000000000"])).status_code
        == 404
    )


def test_staff_pages_do_not_accept_posts(client_for, course):
    response = client_for("therapist").post(reverse("course_diary", args=[course.pk]), {"mood": "5"})
    assert response.status_code == 405
    assert not DiaryEntry.objects.exists()
