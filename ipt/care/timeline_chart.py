"""The interpersonal timeline as a chart: mood over time, with every life event marked.

Drawn with pygal. pygal puts a <style> element in the SVG, which the pages' CSP forbids inline,
so the chart is served on its own as an image (``course_timeline_svg``) with a CSP of its own.
It carries no script: ``js=[]`` drops pygal's tooltip script and an XML filter removes the inline
config script pygal still writes. An image cannot run scripts anyway; this keeps it inert.

Each event is numbered as in the table beside the chart; the x axis has a label (and a guide
line) at every event's date, and the mood line has a point, labelled with the event's number,
for every event that has a mood.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pygal

from ipt.lib.charts import chart_style

WIDTH, HEIGHT = 480, 360  # small, so the text stays legible when a phone scales it down
MAX_DATE_LABELS = 8
MAX_NUMBERS_PER_DATE = 2
MAX_LABEL_CHARS = 24
STYLE = chart_style(colors=("#1f5f8b", "#a4161a"), font_size=14)


@dataclass(frozen=True)
class ChartEvent:
    number: int  # as in the table of events
    occurred_on: date
    mood: int | None


def format_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _without_scripts(root):
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _numbers(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:MAX_NUMBERS_PER_DATE])
    more = len(numbers) - MAX_NUMBERS_PER_DATE
    return f"#{shown}" + (f" +{more}" if more > 0 else "")


def render(events: Iterable[ChartEvent], *, title: str = "Mood (0–10) and life events") -> bytes:
    """The chart as SVG bytes (UTF-8, no XML declaration, no scripts)."""
    events = sorted(events, key=lambda event: (event.occurred_on, event.number))
    if events and all(event.mood is None for event in events):
        title = f"{title} (no mood noted yet)"
    days = sorted({event.occurred_on for event in events})
    numbers: dict[date, list[str]] = {}
    for event in events:
        numbers.setdefault(event.occurred_on, []).append(str(event.number))
    chart = pygal.DateLine(
        width=WIDTH,
        height=HEIGHT,
        style=STYLE,
        title=title,
        js=[],
        disable_xml_declaration=True,
        range=(0, 10),
        y_labels=[0, 2, 4, 6, 8, 10],
        show_x_guides=True,
        show_y_guides=True,
        x_label_rotation=50,
        # Short axis labels, and no axis titles: pygal wraps a title into the room the labels leave
        # and loops forever when there is none.
        truncate_label=MAX_LABEL_CHARS,
        print_labels=True,
        show_legend=False,
        dots_size=5,
        x_value_formatter=lambda day: (
            f"{format_date(day)} ({_numbers(numbers[day])})" if day in numbers else format_date(day)
        ),
        no_data_text="No mood noted yet",
        margin_right=30,
    )
    chart.add_xml_filter(_without_scripts)
    if days:
        chart.x_labels = days
        if len(days) > MAX_DATE_LABELS:
            # Every event keeps its guide line; only some dates are written, so none overlap.
            chart.x_labels_major_count = MAX_DATE_LABELS
            chart.show_minor_x_labels = False
        # Room on both sides, so the first and last events are not on the chart's edge (and one
        # date alone still gives the axis a width).
        first, last = days[0].toordinal(), days[-1].toordinal()
        pad = max(1, (last - first) // 20)
        chart.xrange = (date.fromordinal(first - pad), date.fromordinal(last + pad))
    points = [
        {"value": (event.occurred_on, event.mood), "label": f"#{event.number}"}
        for event in events
        if event.mood is not None
    ]
    chart.add("Mood", points, stroke_style={"width": 3})
    if days:
        # An invisible series across the whole range: without it pygal ignores xrange when no
        # event has a mood yet, and piles every date label on one spot.
        low, high = chart.xrange
        chart.add("", [(low, 0), (high, 0)], show_dots=False, stroke=False, print_labels=False)
    svg = chart.render(is_unicode=True)
    return svg.encode("utf-8")
