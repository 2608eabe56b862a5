"""A course's scores on one questionnaire over time, as an SVG chart (pygal).

Drawn like ipt/care/timeline_chart.py: pygal writes a <style> element, so the chart is served on
its own as an image with a CSP of its own; ``js=[]`` and an XML filter keep it free of scripts;
no axis titles (pygal loops forever wrapping a title into no room) and truncated labels.

- Severity bands are shaded: one filled series per band, from the band's top down to the
  instrument's minimum, drawn highest first so each lower band covers the one above it.
- The caseness line is a dashed horizontal series.
- Sessions held are marked: a dotted vertical line at each, labelled S1, S2, ... on the time axis.

The bands come from the instrument registry: the severity the instrument's own scorer gives each
possible total (never a copy of the cut points here). An instrument whose severity is not a
function of its total alone (e.g. AUDIT's zone bump) gets no bands.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pygal

from ipt.care.timeline_chart import _without_scripts, format_date
from ipt.lib.charts import chart_style
from ipt.measures.instruments import registry
from ipt.measures.instruments.base import ScoringError

WIDTH, HEIGHT = 480, 420
MAX_LABEL_CHARS = 24
MAX_DATE_LABELS = 8
BAND_COLOURS = ("#e8f3ec", "#f4f6dc", "#fbf0d9", "#fbe3d2", "#f7d6d6", "#f0cccc")
SCORE_COLOUR = "#1f5f8b"
CASENESS_COLOUR = "#6e2a8c"
SESSION_COLOUR = "#57606a"


@dataclass(frozen=True)
class Band:
    label: str
    low: int
    high: int


@dataclass(frozen=True)
class Point:
    day: date
    total: int


@dataclass(frozen=True)
class Session:
    number: int
    day: date


def _greedy(instrument, total: int, reverse: bool) -> list[int] | None:
    """Answers adding up to ``total``, filling items from the first (or the last) one."""
    items = [item for item in instrument.items if item.scored]
    answers: dict[int, int] = {}
    remaining = total - sum(min(item.values) for item in items)
    order = list(reversed(items)) if reverse else items
    for item in order:
        low = min(item.values)
        fitting = [value for value in item.values if value - low <= remaining]
        value = max(fitting) if fitting else low
        answers[item.number] = value
        remaining -= value - low
    if remaining:
        return None
    return [answers.get(item.number, min(item.values)) for item in instrument.items]


def bands_for(code: str) -> tuple[Band, ...]:
    return _bands(registry.get(code))


@lru_cache(maxsize=64)
def _bands(instrument) -> tuple[Band, ...]:
    if instrument.maximum <= instrument.minimum:
        return ()
    labels: list[tuple[int, str]] = []
    for total in range(instrument.minimum, instrument.maximum + 1):
        severities = set()
        for reverse in (False, True):
            answers = _greedy(instrument, total, reverse)
            if answers is None:
                continue
            try:
                score = instrument.score(answers)
            except ScoringError:
                return ()
            if score.total != total:
                return ()
            severities.add(score.severity)
        if len(severities) > 1:
            return ()  # severity is not a function of the total alone
        if severities:
            labels.append((total, severities.pop()))
    bands: list[Band] = []
    for total, label in labels:
        if not label:
            return ()
        if bands and bands[-1].label == label:
            bands[-1] = Band(label, bands[-1].low, total)
        else:
            bands.append(Band(label, total, total))
    return tuple(bands) if len(bands) > 1 else ()


def _band_colours(count: int) -> tuple[str, ...]:
    """Green for the lowest band, red for the highest, spread in between."""
    if count < 2:
        return BAND_COLOURS[:count]
    last = len(BAND_COLOURS) - 1
    return tuple(BAND_COLOURS[round(index * last / (count - 1))] for index in range(count))


def render(
    code: str, points: Iterable[Point], sessions: Iterable[Session] = (), *, today: date | None = None
) -> bytes:
    """The chart as SVG bytes (UTF-8, no XML declaration, no scripts)."""
    instrument = registry.get(code)
    points = sorted(points, key=lambda point: point.day)
    sessions = sorted(sessions, key=lambda session: (session.day, session.number))
    bands = bands_for(code)
    session_days: dict[date, list[int]] = {}
    for session in sessions:
        session_days.setdefault(session.day, []).append(session.number)
    days = sorted({point.day for point in points} | set(session_days) | ({today} if today else set()))
    # One colour per series, in the order they are added (an invisible one when there are no bands).
    colours = (_band_colours(len(bands))[::-1] or ("#ffffff",)) + (
        SESSION_COLOUR,
        SCORE_COLOUR,
        CASENESS_COLOUR,
    )

    def label(day: date) -> str:
        if day in session_days:
            return "S" + ",".join(str(number) for number in session_days[day]) + f" {day.day} {day:%b}"
        return format_date(day)

    chart = pygal.DateLine(
        width=WIDTH,
        height=HEIGHT,
        style=chart_style(colors=colours, font_size=12),
        title=f"{instrument.title}: scores over time",
        js=[],
        disable_xml_declaration=True,
        range=(instrument.minimum, instrument.maximum),
        zero=instrument.minimum,
        show_x_guides=True,
        show_y_guides=False,
        x_label_rotation=50,
        truncate_label=MAX_LABEL_CHARS,
        truncate_legend=32,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        print_values=False,
        print_labels=True,
        dots_size=5,
        x_value_formatter=label,
        no_data_text="No answers yet",
        margin_right=30,
    )
    chart.add_xml_filter(_without_scripts)
    if days:
        first, last = days[0].toordinal(), days[-1].toordinal()
        pad = max(1, (last - first) // 20)
        low, high = date.fromordinal(first - pad), date.fromordinal(last + pad)
        chart.xrange = (low, high)
        marked = sorted(session_days) or days
        chart.x_labels = marked
        if len(marked) > MAX_DATE_LABELS:
            chart.x_labels_major_count = MAX_DATE_LABELS
            chart.show_minor_x_labels = False
        for band in reversed(bands):
            top = band.high if band is bands[-1] else band.high + 0.5
            chart.add(
                f"{band.label} ({band.low}–{band.high})",
                [(low, top), (high, top)],
                fill=True,
                show_dots=False,
                print_labels=False,
                stroke_style={"width": 0},
            )
        if not bands:
            chart.add(
                "", [(low, instrument.minimum), (high, instrument.minimum)], show_dots=False, stroke=False
            )
    # Sessions held: one vertical line each, in a single series broken between sessions.
    session_lines = []
    for day in sorted(session_days):
        session_lines += [(day, instrument.minimum), (day, instrument.maximum), (day, None)]
    chart.add(
        "Sessions",
        session_lines,
        show_dots=False,
        print_labels=False,
        allow_interruptions=True,
        stroke_style={"width": 1, "dasharray": "3,3"},
    )
    chart.add(
        "Score",
        [{"value": (point.day, point.total), "label": str(point.total)} for point in points],
        stroke_style={"width": 3},
    )
    if days and instrument.caseness is not None:
        chart.add(
            f"Caseness ({instrument.caseness})",
            [(low, instrument.caseness), (high, instrument.caseness)],
            show_dots=False,
            print_labels=False,
            stroke_style={"width": 2, "dasharray": "8,5"},
        )
    return chart.render(is_unicode=True).encode("utf-8")
