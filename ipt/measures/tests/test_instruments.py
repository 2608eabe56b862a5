"""Built-in instruments: reference vectors, every band edge on both sides, and the special rules."""

import pytest

from ipt.measures.instruments import registry
from ipt.measures.instruments.base import ScoringError


@pytest.fixture(autouse=True)
def no_clinic_definitions(settings):
    """Only the built-in instruments, whatever IPT_INSTRUMENT_DIR the environment sets."""
    settings.IPT_INSTRUMENT_DIR = ""
    registry.reset()
    yield
    registry.reset()


def spread(total: int, count: int, top: int, low: int = 0) -> list[int]:
    """``count`` answers between ``low`` and ``top`` that add up to ``total``, filled from item 1."""
    answers, left = [], total - low * count
    for _ in range(count):
        value = min(top - low, left)
        answers.append(low + value)
        left -= value
    assert left == 0 and sum(answers) == total
    return answers


def score(code, answers):
    return registry.get(code).score(answers)


def test_the_registry_lists_the_built_in_instruments_and_refuses_unknown_codes():
    codes = [instrument.code for instrument in registry.all()]
    assert codes == ["phq9", "gad7", "phq2", "gad2", "pcl5", "audit", "auditc", "wsas", "pg13r"]
    with pytest.raises(KeyError):
        registry.get("epds")  # clinic-supplied: absent without a definition file
    with pytest.raises(KeyError):
        registry.get("nope")


@pytest.mark.parametrize(
    ("code", "panel", "total", "items"),
    [
        ("phq9", "44249-1", "44261-6", 10),
        ("gad7", "69737-5", "70274-6", 7),
        ("phq2", "55757-9", "55758-7", 2),
        ("gad2", "", "70272-0", 2),
        ("pcl5", "101697-1", "101698-9", 20),
        ("audit", "72110-0", "75624-7", 10),
        ("auditc", "72109-2", "75626-2", 3),
        ("wsas", "", "", 5),
        ("pg13r", "", "", 12),
    ],
)
def test_each_instrument_carries_its_loinc_codes_and_item_texts(code, panel, total, items):
    instrument = registry.get(code)
    assert (instrument.loinc_panel, instrument.loinc_total, len(instrument.items)) == (panel, total, items)
    assert [item.number for item in instrument.items] == list(range(1, items + 1))
    assert all(item.text and all(label for _, label in item.options) for item in instrument.items)


def test_the_phq9_and_gad7_texts_are_the_official_ones():
    assert registry.get("phq9").items[0].text == "Little interest or pleasure in doing things"
    assert registry.get("phq9").items[8].text.startswith("Thoughts that you would be better off dead")
    assert registry.get("gad7").items[1].text == "Not being able to stop or control worrying"
    assert registry.get("phq2").items == registry.get("phq9").items[:2]
    assert [item.text for item in registry.get("gad2").items] == [
        item.text for item in registry.get("gad7").items[:2]
    ]
    assert registry.get("phq9").items[0].options == (
        (0, "Not at all"),
        (1, "Several days"),
        (2, "More than half the days"),
        (3, "Nearly every day"),
    )


# PHQ-9 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_at_every_edge(total, severity):
    result = score("phq9", spread(total, 9, 3))
    assert (result.total, result.severity) == (total, severity)


def test_phq9_reference_vector():
    result = score("phq9", [1, 2, 0, 3, 1, 2, 0, 1, 0, 2])
    assert (result.code, result.total, result.severity, result.flags) == ("phq9", 10, "moderate", [])
    assert result.details == {"difficulty": 2}


def test_phq9_item_9_raises_the_suicidal_ideation_flag_even_with_a_minimal_total():
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert (result.total, result.severity, result.flags) == (1, "minimal", ["suicidal_ideation"])
    assert score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0]).flags == []


def test_phq9_takes_nine_or_ten_answers_and_does_not_score_the_difficulty_question():
    assert score("phq9", [1] * 9).total == 9
    assert score("phq9", [1] * 9 + [3]).total == 9
    assert score("phq9", [1] * 9 + [None]).details == {"difficulty": None}
    for wrong in ([1] * 8, [1] * 11, []):
        with pytest.raises(ScoringError):
            score("phq9", wrong)
    with pytest.raises(ScoringError) as error:
        score("phq9", [1] * 9 + [4])
    assert error.value.item == 10 and error.value.allowed == [0, 1, 2, 3]


def test_a_missing_phq9_item_is_an_error_that_names_the_item_and_allowed_values():
    with pytest.raises(ScoringError) as error:
        score("phq9", [1, 1, 1, None, 1, 1, 1, 1, 1])
    assert error.value.item == 4 and error.value.allowed == [0, 1, 2, 3]
    assert "item 4" in error.value.message and "0, 1, 2, 3" in error.value.message


@pytest.mark.parametrize("bad", [4, -1, True, 1.0, "1"])
def test_out_of_range_or_non_integer_answers_are_refused(bad):
    with pytest.raises(ScoringError) as error:
        score("phq9", [0, 0, bad, 0, 0, 0, 0, 0, 0])
    assert error.value.item == 3


def test_answers_must_be_a_list():
    for bad in ("000000000", None, 9):
        with pytest.raises(ScoringError):
            score("phq9", bad)


# GAD-7, PHQ-2, GAD-2 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_at_every_edge(total, severity):
    result = score("gad7", spread(total, 7, 3))
    assert (result.total, result.severity) == (total, severity)


def test_gad7_reference_vector_and_caseness():
    result = score("gad7", [2, 1, 1, 0, 1, 2, 1])
    assert (result.total, result.severity) == (8, "mild")
    assert registry.get("gad7").caseness == 8 and registry.get("gad7").reliable_change == 4
    assert registry.get("phq9").caseness == 10 and registry.get("phq9").reliable_change == 6


@pytest.mark.parametrize("code", ["phq2", "gad2"])
@pytest.mark.parametrize(
    ("answers", "severity"),
    [([0, 0], "negative"), ([1, 1], "negative"), ([2, 1], "positive"), ([3, 3], "positive")],
)
def test_two_item_screens_are_positive_at_three(code, answers, severity):
    result = score(code, answers)
    assert (result.total, result.severity) == (sum(answers), severity)


# PCL-5 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [(0, "below threshold"), (30, "below threshold"), (31, "probable PTSD"), (80, "probable PTSD")],
)
def test_pcl5_cut_point_at_31(total, severity):
    result = score("pcl5", spread(total, 20, 4))
    assert (result.total, result.severity) == (total, severity)


def test_pcl5_reports_cluster_sums():
    answers = [*[1, 2, 3, 4, 0], *[2, 3], *[0, 1, 2, 3, 4, 0, 1], *[4, 3, 2, 1, 0, 1]]
    result = score("pcl5", answers)
    assert result.subscales == {"B": 10, "C": 5, "D": 11, "E": 11}
    assert result.total == 37


def test_pcl5_provisional_diagnosis_needs_one_b_one_c_two_d_and_two_e_symptoms_rated_2_or_more():
    minimal = [*[2, 0, 0, 0, 0], *[2, 0], *[2, 2, 0, 0, 0, 0, 0], *[2, 2, 0, 0, 0, 0]]
    result = score("pcl5", minimal)
    assert result.details["provisional_diagnosis"] is True
    assert result.details["cluster_symptoms"] == {"B": 1, "C": 1, "D": 2, "E": 2}
    assert result.total == 12 and result.severity == "below threshold"  # diagnosis rule and cut point differ
    for position in (0, 5, 8, 15):  # drop one symptom from each cluster in turn
        short = list(minimal)
        short[position] = 1
        assert score("pcl5", short).details["provisional_diagnosis"] is False
    # Ratings of 1 are not symptoms, however many there are.
    assert score("pcl5", [1] * 20).details["provisional_diagnosis"] is False


def test_the_pcl5_cut_point_is_a_setting(settings):
    settings.IPT_PCL5_CUTOFF = 33
    registry.reset()
    try:
        assert score("pcl5", spread(32, 20, 4)).severity == "below threshold"
        assert score("pcl5", spread(33, 20, 4)).severity == "probable PTSD"
    finally:
        del settings.IPT_PCL5_CUTOFF
        registry.reset()


def test_the_reliable_change_threshold_is_a_setting(settings):
    settings.IPT_RELIABLE_CHANGE = {"gad7": 6}
    registry.reset()
    try:
        assert registry.get("gad7").reliable_change == 6
    finally:
        del settings.IPT_RELIABLE_CHANGE
        registry.reset()
    assert registry.get("gad7").reliable_change == 4


# AUDIT and AUDIT-C ---------------------------------------------------------------------------------


def audit_answers(total: int) -> list[int]:
    """Items 1-3, 7 and 8 first (no bump), then 9-10 at 2, then the dependence items at 1."""
    answers = [0] * 10
    left = total
    for index in (0, 1, 2, 6, 7):
        answers[index] = min(4, left)
        left -= answers[index]
    for index in (8, 9):
        answers[index] = min(2, left - left % 2)
        left -= answers[index]
    for index in (3, 4, 5):
        answers[index] = min(1, left)
        left -= answers[index]
    assert left == 0
    return answers


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "low risk"),
        (7, "low risk"),
        (8, "hazardous"),
        (15, "hazardous"),
        (16, "harmful"),
        (19, "harmful"),
        (20, "possible dependence"),
        (27, "possible dependence"),
    ],
)
def test_audit_zones_at_every_edge_without_a_bump(total, severity):
    result = score("audit", audit_answers(total))
    assert (result.total, result.severity, result.details["zone"]) == (
        total,
        severity,
        ["low risk", "hazardous", "harmful", "possible dependence"].index(severity) + 1,
    )
    assert result.notes == []


def test_audit_reaches_forty():
    result = score("audit", [4] * 10)
    assert (result.total, result.severity) == (40, "possible dependence")


def test_audit_items_9_and_10_allow_only_0_2_or_4():
    for bad in (1, 3):
        with pytest.raises(ScoringError) as error:
            score("audit", [0] * 8 + [bad, 0])
        assert error.value.item == 9 and error.value.allowed == [0, 2, 4]
    with pytest.raises(ScoringError) as error:
        score("audit", [0] * 9 + [3])
    assert error.value.item == 10


def test_audit_moves_up_one_zone_when_a_dependence_item_scores_2_or_more():
    result = score("audit", [1, 1, 0, 2, 0, 0, 0, 0, 0, 0])  # total 4: low risk by total
    assert (result.total, result.severity) == (4, "hazardous")
    assert result.details["bumped_by_dependence_items"] is True and result.details["zone_by_total"] == 1
    assert result.notes == ["Moved up one zone from low risk."]
    assert score("audit", [0, 0, 0, 0, 0, 3, 0, 0, 0, 0]).severity == "hazardous"  # item 6
    assert score("audit", [0, 0, 0, 0, 2, 0, 0, 0, 0, 0]).severity == "hazardous"  # item 5
    assert score("audit", [1, 1, 0, 1, 1, 1, 0, 0, 0, 0]).severity == "low risk"  # all at 1: no bump


def test_audit_moves_up_one_zone_when_item_9_or_10_scores_4():
    assert score("audit", [0] * 8 + [4, 0]).severity == "hazardous"
    result = score("audit", [4, 4, 4, 0, 0, 0, 0, 0, 0, 4])  # total 16: harmful by total
    assert (result.total, result.severity) == (16, "possible dependence")
    assert result.details["bumped_by_recent_harm"] is True
    assert score("audit", [0] * 8 + [2, 2]).severity == "low risk"  # "not in the last year": no bump


def test_the_audit_bump_stops_at_the_top_zone():
    result = score("audit", [4, 4, 4, 4, 4, 0, 0, 0, 0, 0])
    assert (result.total, result.severity, result.details["zone"], result.notes) == (
        20,
        "possible dependence",
        4,
        [],
    )


@pytest.mark.parametrize(
    ("answers", "severity", "men", "women"),
    [
        ([0, 0, 0], "negative", False, False),
        ([1, 1, 0], "negative", False, False),
        ([1, 1, 1], "positive for women", False, True),
        ([2, 1, 1], "positive", True, True),
        ([4, 4, 4], "positive", True, True),
    ],
)
def test_auditc_reports_both_cut_points(answers, severity, men, women):
    result = score("auditc", answers)
    assert (result.total, result.severity) == (sum(answers), severity)
    assert result.details == {"positive_men": men, "positive_women": women}


# WSAS ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "subclinical"),
        (9, "subclinical"),
        (10, "significant impairment"),
        (20, "significant impairment"),
        (21, "moderately severe or worse"),
        (40, "moderately severe or worse"),
    ],
)
def test_wsas_bands_at_every_edge(total, severity):
    result = score("wsas", spread(total, 5, 8))
    assert (result.total, result.severity, result.notes) == (total, severity, [])


def test_wsas_replaces_one_missing_item_by_the_mean_of_the_others_and_says_so():
    result = score("wsas", [None, 4, 4, 4, 4])  # 16 x 5/4 = 20 exactly
    assert (result.total, result.severity) == (20, "significant impairment")
    assert result.details["missing_items"] == [1] and "Item 1 was missing" in result.notes[0]
    # 10 x 5/4 = 12.5: rounded half up to 13, not to banker's 12.
    assert score("wsas", [3, 3, 2, 2, None]).total == 13
    assert score("wsas", [3, 3, 2, 1, None]).total == 11  # 11.25
    assert score("wsas", [3, 3, 2, 3, None]).total == 14  # 13.75
    # The rounding can cross a band edge: 7 x 5/4 = 8.75 → 9; 8 → 10.
    assert score("wsas", [2, 2, 2, 1, None]).severity == "subclinical"
    assert score("wsas", [2, 2, 2, 2, None]).severity == "significant impairment"


def test_wsas_gives_no_score_when_two_or_more_items_are_missing():
    for answers in ([None, None, 4, 4, 4], [None] * 5, [8, None, 8, None, None]):
        result = score("wsas", answers)
        assert (result.total, result.severity) == (None, "")
        assert result.notes and "Not scored" in result.notes[0]


def test_wsas_still_refuses_out_of_range_answers_and_wrong_lengths():
    with pytest.raises(ScoringError) as error:
        score("wsas", [None, 9, 0, 0, 0])
    assert error.value.item == 2 and error.value.allowed == list(range(9))
    with pytest.raises(ScoringError):
        score("wsas", [1, 1, 1, 1])


# PG-13-R -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (10, "below threshold"),
        (29, "below threshold"),
        (30, "probable prolonged grief disorder"),
        (50, "probable prolonged grief disorder"),
    ],
)
def test_pg13r_scores_items_3_to_12_and_probable_pgd_starts_at_30(total, severity):
    result = score("pg13r", [1, 1, *spread(total, 10, 5, low=1)])
    assert (result.total, result.severity, result.notes) == (total, severity, [])
    assert result.details == {"significant_loss": True, "at_least_12_months": True}


def test_pg13r_items_3_to_12_run_from_1_to_5_and_the_gates_are_yes_or_no():
    with pytest.raises(ScoringError) as error:
        score("pg13r", [1, 1, 0, *[3] * 9])
    assert error.value.item == 3 and error.value.allowed == [1, 2, 3, 4, 5]
    with pytest.raises(ScoringError) as error:
        score("pg13r", [2, 1, *[3] * 10])
    assert error.value.item == 1 and error.value.allowed == [0, 1]


def test_pg13r_notes_when_the_gate_questions_are_not_met():
    result = score("pg13r", [1, 0, *[4] * 10])
    assert result.total == 40 and result.details["at_least_12_months"] is False
    assert "gate questions are not met" in result.notes[0]
