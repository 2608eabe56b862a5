"""Change metrics on constructed series (instruments.md, "Change over time")."""

import datetime
import math

import pytest

from ipt.measures import change
from ipt.measures.instruments import registry


def series(*totals, start=1):
    return [(start + index, total) for index, total in enumerate(totals)]


def test_reliable_change_uses_the_instrument_threshold_on_both_sides():
    assert change.compare("phq9", 20, 14).reliable_improvement is True  # a fall of exactly 6
    assert change.compare("phq9", 20, 15).reliable_improvement is False
    assert change.compare("phq9", 14, 20).reliable_deterioration is True
    assert change.compare("phq9", 15, 20).reliable_deterioration is False
    assert change.compare("gad7", 12, 8).reliable_improvement is True
    assert change.compare("gad7", 12, 9).reliable_improvement is False
    assert change.compare("pcl5", 50, 40).reliable_improvement is True
    assert change.compare("pcl5", 50, 41).reliable_improvement is False
    none = change.compare("audit", 20, 5)
    assert (none.threshold, none.reliable_improvement, none.rci) == (None, None, None)


def test_the_reliable_change_threshold_follows_the_setting(settings):
    settings.IPT_RELIABLE_CHANGE = {"gad7": 6}
    registry.reset()
    try:
        assert change.compare("gad7", 12, 8).reliable_improvement is False
        assert change.compare("gad7", 12, 6).reliable_improvement is True
    finally:
        del settings.IPT_RELIABLE_CHANGE
        registry.reset()


def test_the_jacobson_truax_index_uses_sd_and_r():
    sd, r = change.RCI_DEFAULTS["phq9"]["sd"], change.RCI_DEFAULTS["phq9"]["r"]
    expected = (8 - 20) / (math.sqrt(2) * sd * math.sqrt(1 - r))
    assert change.rci("phq9", 20, 8) == pytest.approx(expected)
    comparison = change.compare("phq9", 20, 8)
    assert comparison.rci == round(expected, 2) and comparison.rci_reliable is True
    assert change.compare("phq9", 20, 17).rci_reliable is False
    assert change.rci("wsas", 20, 8) is None


def test_the_rci_is_reliable_only_beyond_1_96(settings):
    # SD and r chosen so that the standard error of the difference is exactly 1.
    settings.IPT_RCI_PARAMETERS = {"phq9": {"sd": 1 / math.sqrt(2), "r": 0.0}}
    assert change.rci("phq9", 10, 12) == pytest.approx(2.0)
    assert change.compare("phq9", 10, 12).rci_reliable is True
    assert change.compare("phq9", 10, 11).rci_reliable is False
    assert change.compare("phq9", 12, 10).rci == pytest.approx(-2.0)


def test_response_is_a_fall_of_at_least_half_the_first_score():
    assert change.response(series(20, 15, 10)) is True
    assert change.response(series(20, 15, 11)) is False
    assert change.response(series(9, 5)) is False  # 4 of 9 is less than half
    assert change.response(series(9, 4)) is True
    assert change.response(series(20)) is None
    assert change.response(series(0, 0)) is None


def test_remission_is_phq9_or_gad7_below_5_at_the_latest_score():
    assert change.remission("phq9", series(18, 4)) is True
    assert change.remission("phq9", series(18, 5)) is False
    assert change.remission("gad7", series(12, 4)) is True
    assert change.remission("gad7", series(12, 5)) is False
    assert change.remission("pcl5", series(50, 0)) is None
    assert change.remission("phq9", []) is None


def test_series_are_sorted_by_key_and_missing_totals_ignored():
    shuffled = [(3, 8), (1, 20), (2, None), (2, 14)]
    assert change.scores(shuffled) == [(1, 20), (2, 14), (3, 8)]
    assert change.first_to_latest("phq9", shuffled).difference == -12
    dated = [(datetime.date(2026, 3, 1), 8), (datetime.date(2026, 1, 1), 20)]
    assert change.reliable_improvement("phq9", dated) is True
    assert change.first_to_latest("phq9", [(1, 20), (2, None)]) is None


@pytest.mark.parametrize(
    ("phq9", "gad7", "recovered"),
    [
        ((15, 6), (12, 5), True),  # a case on both, below both at the end
        ((15, 6), (5, 5), True),  # a case on PHQ-9 only
        ((6, 6), (10, 7), True),  # a case on GAD-7 only (caseness 8)
        ((15, 9), (12, 8), False),  # GAD-7 still at caseness
        ((15, 10), (12, 5), False),  # PHQ-9 still at caseness
        ((9, 2), (7, 1), None),  # not a case at the start: recovery does not apply
        ((10, 9), (7, 7), True),  # the caseness edges: 10 is a case, 9 is not
    ],
)
def test_recovery_needs_caseness_at_the_start_and_below_caseness_on_both_at_the_end(phq9, gad7, recovered):
    assert change.recovery(series(*phq9), series(*gad7)) is recovered


def test_recovery_needs_both_measures():
    assert change.recovery(series(15, 4), []) is None


def test_reliable_recovery_needs_recovery_and_a_reliable_fall_and_no_reliable_rise():
    assert change.reliable_recovery(series(15, 6), series(12, 5)) is True
    # Recovered, but the PHQ-9 fell by 1 and the GAD-7 by 3: not reliable.
    assert change.reliable_recovery(series(10, 9), series(8, 5)) is False
    # Reliable fall on PHQ-9 is enough while GAD-7 does not reliably rise.
    assert change.reliable_recovery(series(16, 4), series(3, 6)) is True
    # ...but a reliable rise on GAD-7 rules it out (3 -> 7 is a rise of 4, still below caseness 8).
    assert change.reliable_recovery(series(16, 4), series(3, 7)) is False
    assert change.reliable_recovery(series(15, 12), series(12, 5)) is False  # not recovered
    assert change.reliable_recovery(series(5, 2), series(4, 1)) is None


def test_reliable_deterioration_is_a_rise_of_at_least_the_threshold():
    assert change.reliable_deterioration("phq9", series(8, 10, 14)) is True
    assert change.reliable_deterioration("phq9", series(8, 10, 13)) is False
    assert change.reliable_deterioration("gad7", series(5, 9)) is True
    assert change.reliable_deterioration("audit", series(5, 30)) is None


def test_not_on_track_after_session_4_without_a_reliable_fall():
    assert change.not_on_track("phq9", series(18, 17, 16, 15)) is False  # session 4: too early to say
    assert change.not_on_track("phq9", series(18, 17, 16, 15, 14)) is True  # session 5, fall of 4
    assert change.not_on_track("phq9", series(18, 17, 16, 15, 12)) is False  # fall of 6
    # Session numbers, not positions: measured at sessions 1 and 6 only.
    assert change.not_on_track("phq9", [(1, 18), (6, 16)]) is True
    assert change.not_on_track("phq9", [(1, 18), (6, 12)]) is False


def test_not_on_track_at_any_session_with_a_reliable_deterioration():
    assert change.not_on_track("phq9", series(8, 14)) is True
    assert change.not_on_track("phq9", series(8, 13)) is False
    assert change.not_on_track("gad7", series(5, 9)) is True
    assert change.not_on_track("audit", series(5, 30)) is None
    assert change.not_on_track("phq9", []) is None


def test_not_on_track_for_a_dated_series_counts_administrations():
    dates = [datetime.date(2026, 1, day) for day in (1, 8, 15, 22, 29)]
    assert change.not_on_track("phq9", list(zip(dates[:4], [18, 17, 16, 15], strict=True))) is False
    assert change.not_on_track("phq9", list(zip(dates, [18, 17, 16, 15, 14], strict=True))) is True


def test_the_summary_gathers_the_figures():
    result = change.summary("phq9", series(20, 16, 12, 9, 8))
    assert (result.first, result.latest, result.response, result.remission, result.not_on_track) == (
        20,
        8,
        True,
        False,
        False,
    )
    assert result.comparison.difference == -12 and result.comparison.reliable_improvement is True


def test_summarise_gives_readable_figures_for_plain_totals_too():
    figures = dict(change.summarise("phq9", [20, 16, 12, 9, 8]))
    assert figures["Change since the first score"] == "-12"
    assert figures["Reliable improvement (a fall of 6 or more)"] == "yes"
    assert figures["Response (a fall of 50% or more)"] == "yes"
    assert figures["Not on track"] == "no"
    # Two scores, the latest at session 6 (sessions_held): after session 4, a fall of 2 is not on track.
    assert dict(change.summarise("phq9", [18, 16], sessions_held=6))["Not on track"] == "yes"
    assert dict(change.summarise("phq9", [18, 16]))["Not on track"] == "no"
    assert change.summarise("phq9", [18]) == []
    assert "Remission" not in dict(change.summarise("audit", [20, 10]))
