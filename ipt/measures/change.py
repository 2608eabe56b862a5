"""Change over time for one course and instrument (../shared/docs/instruments.md, "Change over time").

Pure functions over a *series*: a list of ``(key, total)`` pairs, where the key is the session
number or the date of the administration. Pairs with a total of None (e.g. a WSAS with two items
missing) are ignored; the series is sorted by key, so "first" and "latest" mean the earliest and
the latest administration. Lower scores are better on every instrument here.

Functions return None where a figure does not apply (too few scores, an instrument without a
threshold, a person not at caseness at the start), so that "no" is never shown for "unknown".
"""

import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from ipt.measures.instruments import registry

Key = int | date
Series = list[tuple[Key, int | None]]

# Jacobson & Truax (1991) reliable change index: RCI = (post - pre) / (sqrt(2) * SD * sqrt(1 - r)),
# reliable when |RCI| > 1.96. SD is the standard deviation of pre-treatment scores in a clinical
# sample, r the instrument's test-retest reliability. The r values are the test-retest figures of
# the validation papers: PHQ-9 0.84 (Kroenke, Spitzer & Williams 2001), GAD-7 0.83 (Spitzer et al.
# 2006), PCL-5 0.82 (Blevins et al. 2015). The SDs are typical of treatment-seeking samples and
# were chosen so that the index agrees roughly with the fixed thresholds (PHQ-9 6, GAD-7 4-6,
# PCL-5 10-17); a clinician should check them against the clinic's population.
# Override with settings.IPT_RCI_PARAMETERS = {"phq9": {"sd": 5.7, "r": 0.84}, ...}.
RCI_DEFAULTS: dict[str, dict[str, float]] = {
    "phq9": {"sd": 5.7, "r": 0.84},
    "gad7": {"sd": 4.8, "r": 0.83},
    "pcl5": {"sd": 14.0, "r": 0.82},
}
RCI_CRITICAL = 1.96

# Remission: below these totals at the latest administration (PHQ-9 by definition, GAD-7 by
# convention); other instruments have no remission figure here.
REMISSION_BELOW = {"phq9": 5, "gad7": 5}
# "After session 4": from the 5th session (or, for a date-keyed series, the 5th administration).
ON_TRACK_REVIEW_AFTER = 4


@dataclass(frozen=True)
class Comparison:
    """Change between two administrations (``difference`` = post - pre; negative is improvement)."""

    pre: int
    post: int
    difference: int
    threshold: int | None
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    rci: float | None
    rci_reliable: bool | None


def scores(series: Series) -> list[tuple[Key, int]]:
    """The series without missing totals, oldest first."""
    return sorted(((key, total) for key, total in series if total is not None), key=lambda pair: pair[0])


def threshold(code: str) -> int | None:
    """The reliable-change threshold (settings.IPT_RELIABLE_CHANGE overrides, via the registry)."""
    try:
        return registry.get(code).reliable_change
    except KeyError:
        return None


def rci_parameters(code: str) -> dict[str, float] | None:
    overrides = getattr(settings, "IPT_RCI_PARAMETERS", {}) or {}
    return overrides.get(code) or RCI_DEFAULTS.get(code)


def rci(code: str, pre: int, post: int) -> float | None:
    """The Jacobson-Truax index; None for instruments without SD and r."""
    parameters = rci_parameters(code)
    if parameters is None:
        return None
    standard_error_of_difference = math.sqrt(2) * parameters["sd"] * math.sqrt(1 - parameters["r"])
    return (post - pre) / standard_error_of_difference


def compare(code: str, pre: int, post: int) -> Comparison:
    limit = threshold(code)
    index = rci(code, pre, post)
    return Comparison(
        pre=pre,
        post=post,
        difference=post - pre,
        threshold=limit,
        reliable_improvement=None if limit is None else pre - post >= limit,
        reliable_deterioration=None if limit is None else post - pre >= limit,
        rci=None if index is None else round(index, 2),
        rci_reliable=None if index is None else abs(index) > RCI_CRITICAL,
    )


def first_to_latest(code: str, series: Series) -> Comparison | None:
    """Change from the first score to the latest; None with fewer than two scores."""
    points = scores(series)
    if len(points) < 2:
        return None
    return compare(code, points[0][1], points[-1][1])


def reliable_improvement(code: str, series: Series) -> bool | None:
    comparison = first_to_latest(code, series)
    return None if comparison is None else comparison.reliable_improvement


def reliable_deterioration(code: str, series: Series) -> bool | None:
    """A rise of at least the threshold from the first score to the latest."""
    comparison = first_to_latest(code, series)
    return None if comparison is None else comparison.reliable_deterioration


def response(series: Series) -> bool | None:
    """A fall of at least 50% from the first score of the course to the latest."""
    points = scores(series)
    if len(points) < 2 or points[0][1] == 0:
        return None
    first, latest = points[0][1], points[-1][1]
    return (first - latest) * 2 >= first


def remission(code: str, series: Series) -> bool | None:
    """PHQ-9 (or GAD-7) below 5 at the latest administration."""
    points = scores(series)
    if code not in REMISSION_BELOW or not points:
        return None
    return points[-1][1] < REMISSION_BELOW[code]


def _caseness(code: str) -> int:
    caseness = registry.get(code).caseness
    assert caseness is not None
    return caseness


def recovery(phq9: Series, gad7: Series) -> bool | None:
    """NHS Talking Therapies: at caseness at the start on either measure, below caseness on both at
    the end. None when either measure is missing or the person was not a case at the start."""
    phq9_points, gad7_points = scores(phq9), scores(gad7)
    if not phq9_points or not gad7_points:
        return None
    phq9_case, gad7_case = _caseness("phq9"), _caseness("gad7")
    if phq9_points[0][1] < phq9_case and gad7_points[0][1] < gad7_case:
        return None
    return phq9_points[-1][1] < phq9_case and gad7_points[-1][1] < gad7_case


def reliable_recovery(phq9: Series, gad7: Series) -> bool | None:
    """Recovery and reliable improvement (NHS Talking Therapies: a reliable fall on at least one
    measure and a reliable rise on neither)."""
    recovered = recovery(phq9, gad7)
    if recovered is None:
        return None
    improved = [reliable_improvement("phq9", phq9), reliable_improvement("gad7", gad7)]
    deteriorated = [reliable_deterioration("phq9", phq9), reliable_deterioration("gad7", gad7)]
    return recovered and any(improved) and not any(deteriorated)


def not_on_track(code: str, series: Series) -> bool | None:
    """Reliable deterioration at the latest score (at any session), or, after session 4, no fall of
    at least the threshold from the first score. None for instruments without a threshold."""
    limit = threshold(code)
    points = scores(series)
    if limit is None or not points:
        return None
    first, latest = points[0][1], points[-1][1]
    if latest - first >= limit:
        return True
    last_key = points[-1][0]
    session = last_key if isinstance(last_key, int) else len(points)
    return session > ON_TRACK_REVIEW_AFTER and first - latest < limit


@dataclass(frozen=True)
class Summary:
    code: str
    first: int | None
    latest: int | None
    comparison: Comparison | None
    response: bool | None
    remission: bool | None
    not_on_track: bool | None


def summary(code: str, series: Series) -> Summary:
    points = scores(series)
    return Summary(
        code=code,
        first=points[0][1] if points else None,
        latest=points[-1][1] if points else None,
        comparison=first_to_latest(code, series),
        response=response(series),
        remission=remission(code, series),
        not_on_track=not_on_track(code, series),
    )


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def summarise(code: str, totals, sessions_held: int | None = None) -> list[tuple[str, str | None]]:
    """Readable change figures for a page: ``totals`` is a series, or plain totals oldest first (then
    the latest counts as session ``sessions_held``, or as its position when that is not given)."""
    totals = list(totals)
    if totals and not isinstance(totals[0], tuple):
        keys = list(range(1, len(totals) + 1))
        if sessions_held:
            keys = [max(1, sessions_held - len(totals) + position) for position in keys]
        totals = list(zip(keys, totals, strict=True))
    result = summary(code, totals)
    if result.comparison is None:
        return []
    comparison = result.comparison
    figures: list[tuple[str, str | None]] = [("Change since the first score", f"{comparison.difference:+d}")]
    if comparison.threshold is not None:
        figures += [
            (
                f"Reliable improvement (a fall of {comparison.threshold} or more)",
                _yes_no(comparison.reliable_improvement),
            ),
            (
                f"Reliable deterioration (a rise of {comparison.threshold} or more)",
                _yes_no(comparison.reliable_deterioration),
            ),
        ]
    if comparison.rci is not None:
        figures.append(("Reliable change index (reliable beyond ±1.96)", f"{comparison.rci:.2f}"))
    figures += [
        ("Response (a fall of 50% or more)", _yes_no(result.response)),
        ("Remission", _yes_no(result.remission)),
        ("Not on track", _yes_no(result.not_on_track)),
    ]
    return [(label, value) for label, value in figures if value is not None]
