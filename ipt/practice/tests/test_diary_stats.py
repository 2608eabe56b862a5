"""The diary's numbers and charts from constructed data, against hand-computed values."""

import re
from datetime import date

from ipt.practice import diary_chart
from ipt.practice.diary_stats import (
    Contact,
    Day,
    events_per_day,
    mood_by_day,
    other_key,
    person_stats,
    summarise,
    trend_per_week,
    trend_word,
)

SAM, ALEX = "sam-id", "alex-id"


def week() -> list[Day]:
    # Jan 1: 4 (Sam bad); Jan 2: 7 (Alex good, Sam good); Jan 4: 5 (nobody); Jan 5: 8 (Sam mixed, Sam good)
    return [
        Day(date(2026, 1, 5), 8, (Contact(SAM, "Sam", "mixed"), Contact(SAM, "Sam", "good"))),
        Day(date(2026, 1, 1), 4, (Contact(SAM, "Sam", "bad"),)),
        Day(date(2026, 1, 4), 5),
        Day(date(2026, 1, 2), 7, (Contact(ALEX, "Alex", "good"), Contact(SAM, "Sam", "good"))),
    ]


def test_mood_and_events_are_listed_per_day_oldest_first():
    assert mood_by_day(week()) == [
        (date(2026, 1, 1), 4),
        (date(2026, 1, 2), 7),
        (date(2026, 1, 4), 5),
        (date(2026, 1, 5), 8),
    ]
    assert [count for _, count in events_per_day(week())] == [1, 2, 0, 2]


def test_each_person_gets_the_mean_mood_on_days_with_and_without_contact():
    sam, alex = person_stats(week())
    # Sam: with on Jan 1, 2, 5 -> (4 + 7 + 8) / 3 = 6.33; without on Jan 4 -> 5.
    assert (sam.name, sam.days_with, sam.days_without, sam.mean_with, sam.mean_without) == (
        "Sam",
        3,
        1,
        6.3,
        5.0,
    )
    assert sam.feelings == {"good": 2, "mixed": 1, "bad": 1}
    assert sam.interactions == 4
    assert sam.difference == 1.3
    # Alex: with on Jan 2 -> 7; without on Jan 1, 4, 5 -> (4 + 5 + 8) / 3 = 5.67.
    assert (alex.days_with, alex.days_without, alex.mean_with, alex.mean_without) == (1, 3, 7.0, 5.7)
    assert alex.feelings == {"good": 1, "mixed": 0, "bad": 0}


def test_a_person_seen_every_day_has_no_mean_without_contact():
    days = [
        Day(date(2026, 1, 1), 3, (Contact(SAM, "Sam", "bad"),)),
        Day(date(2026, 1, 2), 5, (Contact(SAM, "Sam", "good"),)),
    ]
    (sam,) = person_stats(days)
    assert (sam.mean_with, sam.mean_without, sam.difference) == (4.0, None, None)


def test_someone_else_with_the_same_name_in_any_case_is_one_person():
    days = [
        Day(date(2026, 1, 1), 3, (Contact(other_key(" Jo  Smith "), "Jo Smith", "bad"),)),
        Day(date(2026, 1, 2), 5, (Contact(other_key("jo smith"), "jo smith", "good"),)),
    ]
    (jo,) = person_stats(days)
    assert jo.days_with == 2
    assert jo.name == "Jo Smith"


def test_the_trend_is_the_least_squares_slope_in_points_a_week():
    # x = 0, 1, 3, 4 (days from Jan 1), y = 4, 7, 5, 8: slope = 6 / 10 = 0.6 a day = 4.2 a week.
    assert trend_per_week(week()) == 4.2
    assert trend_word(4.2) == "rising"
    falling = [Day(date(2026, 1, 1), 8), Day(date(2026, 1, 3), 6), Day(date(2026, 1, 5), 4)]
    assert trend_per_week(falling) == -7.0
    assert trend_word(-7.0) == "falling"
    flat = [Day(date(2026, 1, 1), 5), Day(date(2026, 1, 4), 5), Day(date(2026, 1, 7), 5)]
    assert (trend_per_week(flat), trend_word(0.0)) == (0.0, "steady")
    # Two days are too few to call a trend.
    assert trend_per_week([Day(date(2026, 1, 1), 5), Day(date(2026, 1, 2), 9)]) is None
    assert trend_word(None) == ""


def test_the_summary_counts_only_the_days_in_its_period():
    summary = summarise(week(), date(2026, 1, 1), date(2026, 1, 7))
    assert (summary.days_in_period, summary.days_logged) == (7, 4)
    assert (summary.mood_mean, summary.mood_min, summary.mood_max) == (6.0, 4, 8)
    assert (summary.trend_per_week, summary.trend) == (4.2, "rising")
    assert summary.interactions == 5
    assert summary.feelings == {"good": 3, "mixed": 1, "bad": 1}
    assert [p.name for p in summary.people] == ["Sam", "Alex"]

    later = summarise(week(), date(2026, 1, 3), date(2026, 1, 7))
    # Jan 4 (5) and Jan 5 (8): mean 6.5, too few days for a trend; Sam only, with 8 and without 5.
    assert (later.days_in_period, later.days_logged, later.mood_mean) == (5, 2, 6.5)
    assert (later.trend_per_week, later.trend) == (None, "")
    (sam,) = later.people
    assert (sam.mean_with, sam.mean_without, sam.feelings) == (8.0, 5.0, {"good": 1, "mixed": 1, "bad": 0})


def test_an_empty_period_has_no_numbers():
    summary = summarise([], date(2026, 1, 1), date(2026, 1, 7))
    assert (summary.days_logged, summary.mood_mean, summary.mood_min, summary.trend) == (0, None, None, "")
    assert summary.people == []


def _titles(svg: bytes) -> list[str]:
    return re.findall(r"<title>([^<]*)</title>", svg.decode())


def test_the_mood_chart_draws_each_day_and_marks_each_interaction_with_names_and_feelings():
    svg = diary_chart.render_mood(week())
    assert b"<script" not in svg
    titles = _titles(svg)
    assert [t for t in titles if t.startswith("Mood –")] == [
        "Mood – 1 Jan: 4",
        "Mood – 2 Jan: 7",
        "Mood – 4 Jan: 5",
        "Mood – 5 Jan: 8",
    ]
    assert "Alex, Sam (felt good) – 2 Jan: 7" in titles
    assert "Sam (felt good) – 5 Jan: 8" in titles
    assert "Sam (mixed) – 5 Jan: 8" in titles
    assert "Sam (felt bad) – 1 Jan: 4" in titles
    # The day without anyone has no event marker.
    assert not [t for t in titles if "– 4 Jan" in t and not t.startswith("Mood")]
    for legend in ("With people: felt good", "With people: mixed", "With people: felt bad"):
        assert legend in svg.decode()


def test_the_people_chart_has_a_bar_for_each_person_with_and_without_contact():
    svg = diary_chart.render_people(person_stats(week()))
    assert b"<script" not in svg
    titles = _titles(svg)
    assert "Sam, 3 day(s) with contact – 6.3" in titles
    assert "Sam, 1 day(s) without contact – 5" in titles
    assert "Alex, 1 day(s) with contact – 7" in titles
    assert "Alex, 3 day(s) without contact – 5.7" in titles


def test_charts_without_data_say_so():
    assert b"No diary entries yet" in diary_chart.render_mood([])
    assert b"No people in the diary yet" in diary_chart.render_people([])
