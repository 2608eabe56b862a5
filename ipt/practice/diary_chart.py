"""The diary's two charts, drawn with pygal and served as images (see ``ipt.care.timeline_chart``).

1. Mood over time (0 to 10), one point per day logged, with the day's interactions marked: a dot per
   feeling (good, mixed, bad) on that day's mood, titled with the people's names and how it felt.
2. Per person, the mean mood on days with contact against days without (bars, 0 to 10).

pygal's tooltips need its script, which the image never carries (``js=[]`` and an XML filter
drop every <script>); instead each dot and bar gets an SVG <title>, which browsers show on hover
when the SVG is opened on its own, and which a screen reader can reach. The pages put an
accessible table beside each chart with the same numbers.
"""

from collections.abc import Iterable
from datetime import date

import pygal

from ipt.lib.charts import chart_style
from ipt.practice.diary_stats import Day, PersonStats

WIDTH, HEIGHT = 480, 360
MAX_DATE_LABELS = 8
MAX_LABEL_CHARS = 16
MOOD_COLOR = "#1f5f8b"
FEELING_COLORS = {"good": "#2b8a3e", "mixed": "#b7791f", "bad": "#a4161a"}
FEELING_WORDS = {"good": "felt good", "mixed": "mixed", "bad": "felt bad"}
MOOD_STYLE = chart_style(colors=(MOOD_COLOR, *FEELING_COLORS.values()), font_size=14)
PEOPLE_STYLE = chart_style(colors=("#1f5f8b", "#8c959f"), font_size=14)


def format_date(day: date) -> str:
    return f"{day.day} {day:%b}"


def _local(tag) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _without_scripts(root):
    for parent in list(root.iter()):
        for child in list(parent):
            if _local(child.tag) == "script":
                parent.remove(child)
    return root


def _with_titles(root):
    """Give every dot and bar a <title> from pygal's label and value descriptions."""
    for group in list(root.iter()):
        if _local(group.tag) != "g" or group.get("class") not in ("dots", "bar"):
            continue
        descs = {desc.get("class", ""): (desc.text or "") for desc in group if _local(desc.tag) == "desc"}
        text = " – ".join(part for part in (descs.get("label", ""), descs.get("value", "")) if part)
        if not text:
            continue
        namespace = str(group.tag)[: -len(_local(group.tag))]
        title = group.makeelement(namespace + "title", {})
        title.text = text
        group.insert(0, title)
    return root


def _filters(chart) -> None:
    chart.add_xml_filter(_without_scripts)
    chart.add_xml_filter(_with_titles)


def contacts_label(day: Day, feeling: str) -> str:
    names = [contact.name for contact in day.contacts if contact.feeling == feeling]
    return f"{', '.join(names)} ({FEELING_WORDS.get(feeling, feeling)})"


def render_mood(days: Iterable[Day], *, title: str = "Mood (0–10) and time with people") -> bytes:
    """Mood per day with the interactions marked; SVG bytes without scripts."""
    days = sorted(days, key=lambda d: d.day)
    chart = pygal.DateLine(
        width=WIDTH,
        height=HEIGHT,
        style=MOOD_STYLE,
        title=title,
        js=[],
        disable_xml_declaration=True,
        range=(0, 10),
        y_labels=[0, 2, 4, 6, 8, 10],
        show_y_guides=True,
        x_label_rotation=50,
        truncate_label=MAX_LABEL_CHARS,
        truncate_legend=-1,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        dots_size=4,
        x_value_formatter=format_date,
        no_data_text="No diary entries yet",
        margin_right=30,
    )
    _filters(chart)
    if days:
        chart.x_labels = [d.day for d in days]
        if len(days) > MAX_DATE_LABELS:
            chart.x_labels_major_count = MAX_DATE_LABELS
            chart.show_minor_x_labels = False
        first, last = days[0].day.toordinal(), days[-1].day.toordinal()
        pad = max(1, (last - first) // 20)
        chart.xrange = (date.fromordinal(first - pad), date.fromordinal(last + pad))
    chart.add("Mood", [{"value": (d.day, d.mood), "label": "Mood"} for d in days], stroke_style={"width": 3})
    for feeling in FEELING_WORDS:
        points = [
            {"value": (d.day, d.mood), "label": contacts_label(d, feeling)}
            for d in days
            if any(contact.feeling == feeling for contact in d.contacts)
        ]
        chart.add(
            f"With people: {FEELING_WORDS[feeling]}",
            points,
            stroke=False,
            dots_size={"good": 9, "mixed": 7, "bad": 5}[feeling],
        )
    return chart.render(is_unicode=True).encode("utf-8")


def render_people(people: Iterable[PersonStats], *, title: str = "Mood with and without contact") -> bytes:
    """Per person, mean mood on days with contact and without; SVG bytes without scripts."""
    people = list(people)
    chart = pygal.Bar(
        width=WIDTH,
        height=HEIGHT,
        style=PEOPLE_STYLE,
        title=title,
        js=[],
        disable_xml_declaration=True,
        range=(0, 10),
        y_labels=[0, 2, 4, 6, 8, 10],
        show_y_guides=True,
        x_label_rotation=30 if len(people) > 3 else 0,
        truncate_label=MAX_LABEL_CHARS,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        no_data_text="No people in the diary yet",
        print_values=False,
    )
    _filters(chart)
    chart.x_labels = [person.name for person in people]
    chart.add(
        "Days with contact",
        [
            {"value": person.mean_with, "label": f"{person.name}, {person.days_with} day(s) with contact"}
            for person in people
        ],
    )
    chart.add(
        "Days without contact",
        [
            {
                "value": person.mean_without,
                "label": f"{person.name}, {person.days_without} day(s) without contact",
            }
            for person in people
        ],
    )
    return chart.render(is_unicode=True).encode("utf-8")
