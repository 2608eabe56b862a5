"""Clinic-supplied instruments: EPDS and C-SSRS screen rules, and the definition-file loader."""

import copy
import json
import logging
from pathlib import Path

import pytest

from ipt.measures.instruments import cssrs, epds, registry
from ipt.measures.instruments.base import ScoringError
from ipt.measures.instruments.loader import DefinitionError, build, load_directory, load_file

DEFINITIONS = Path(__file__).parent / "definitions"
EPDS = epds.RULE.instrument()
CSSRS = cssrs.RULE.instrument()


@pytest.fixture(autouse=True)
def no_clinic_definitions(settings):
    """Only the built-in instruments, whatever IPT_INSTRUMENT_DIR the environment sets."""
    settings.IPT_INSTRUMENT_DIR = ""
    registry.reset()
    yield
    registry.reset()


def epds_definition() -> dict:
    return json.loads((DEFINITIONS / "epds.json").read_text())


@pytest.fixture
def clinic_registry(settings):
    settings.IPT_INSTRUMENT_DIR = str(DEFINITIONS)
    registry.reset()
    yield registry
    settings.IPT_INSTRUMENT_DIR = ""
    registry.reset()


# EPDS ----------------------------------------------------------------------------------------------


def test_epds_reverse_items_score_their_top_option_3_and_the_others_0():
    for number in (3, 5, 6, 7, 8, 9, 10):
        assert epds.value_at(number, 0) == 3 and epds.value_at(number, 3) == 0
    for number in (1, 2, 4):
        assert epds.value_at(number, 0) == 0 and epds.value_at(number, 3) == 3
    assert EPDS.items[2].values == [3, 2, 1, 0]
    assert EPDS.items[0].values == [0, 1, 2, 3]


def test_epds_top_options_everywhere_score_only_the_reverse_items():
    top = [epds.value_at(number, 0) for number in range(1, 11)]
    result = EPDS.score(top)
    assert result.total == 21 and result.severity == "probable depression"
    assert result.flags == ["suicidal_ideation"]
    bottom = [epds.value_at(number, 3) for number in range(1, 11)]
    assert EPDS.score(bottom).total == 9


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "below threshold"),
        (9, "below threshold"),
        (10, "possible depression"),
        (12, "possible depression"),
        (13, "probable depression"),
        (30, "probable depression"),
    ],
)
def test_epds_bands_at_every_edge(total, severity):
    answers = [min(3, max(0, total - 3 * index)) for index in range(10)]
    result = EPDS.score(answers)
    assert (result.total, result.severity) == (total, severity)


def test_epds_item_10_raises_the_suicidal_ideation_flag_whatever_the_total():
    result = EPDS.score([0] * 9 + [1])
    assert (result.total, result.severity, result.flags) == (1, "below threshold", ["suicidal_ideation"])
    assert EPDS.score([3] * 9 + [0]).flags == []


def test_epds_refuses_missing_and_out_of_range_answers():
    with pytest.raises(ScoringError) as error:
        EPDS.score([0] * 9 + [None])
    assert error.value.item == 10 and error.value.allowed == [3, 2, 1, 0]
    with pytest.raises(ScoringError):
        EPDS.score([4] + [0] * 9)
    with pytest.raises(ScoringError):
        EPDS.score([0] * 11)


# C-SSRS screen -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ([0, 0, None, None, None, 0, None], "none"),
        ([1, 0, None, None, None, 0, None], "low"),
        ([0, 1, 0, 0, 0, 0, None], "low"),
        ([1, 1, 0, 0, 0, 0, None], "low"),
        ([1, 1, 1, 0, 0, 0, None], "moderate"),
        ([0, 0, None, None, None, 1, 0], "moderate"),
        ([1, 1, 0, 1, 0, 0, None], "high"),
        ([1, 1, 0, 0, 1, 0, None], "high"),
        ([0, 0, None, None, None, 1, 1], "high"),
        ([1, 1, 1, 1, 1, 1, 1], "high"),
    ],
)
def test_cssrs_risk_levels(answers, level):
    result = CSSRS.score(answers)
    assert (result.total, result.severity, result.details["risk"]) == (None, level, level)
    assert result.flags == (["suicidal_ideation"] if level in ("moderate", "high") else [])


def test_cssrs_questions_3_to_5_must_be_empty_unless_question_2_is_yes():
    for position in (2, 3, 4):
        answers = [1, 0, None, None, None, 0, None]
        answers[position] = 0
        with pytest.raises(ScoringError) as error:
            CSSRS.score(answers)
        assert error.value.item == position + 1 and "only when question 2 is yes" in error.value.message


def test_cssrs_questions_3_to_5_are_required_when_question_2_is_yes():
    with pytest.raises(ScoringError) as error:
        CSSRS.score([1, 1, 0, None, 0, 0, None])
    assert error.value.item == 4 and error.value.allowed == [1, 0]


def test_cssrs_6b_follows_question_6():
    with pytest.raises(ScoringError) as error:
        CSSRS.score([0, 0, None, None, None, 0, 1])
    assert error.value.item == 7 and "6b" in error.value.message
    with pytest.raises(ScoringError) as error:
        CSSRS.score([0, 0, None, None, None, 1, None])
    assert error.value.item == 7 and "6b" in error.value.message


@pytest.mark.parametrize(
    "answers",
    [
        [None, 0, None, None, None, 0, None],  # question 1 is always asked
        [0, None, None, None, None, 0, None],  # so is 2
        [0, 0, None, None, None, None, None],  # and 6
        [2, 0, None, None, None, 0, None],
        [True, 0, None, None, None, 0, None],
        [0, 0, None, None, None, 0],  # six answers
        [0, 0, None, None, None, 0, None, None],
        "0000000",
    ],
)
def test_cssrs_refuses_invalid_answer_sets(answers):
    with pytest.raises(ScoringError):
        CSSRS.score(answers)


# The loader ----------------------------------------------------------------------------------------


def test_the_example_definitions_load_with_placeholder_texts_and_the_rules_scoring():
    by_code = {instrument.code: instrument for instrument in load_directory(DEFINITIONS)}
    assert set(by_code) == {"epds", "cssrs-screen"}
    loaded = by_code["epds"]
    assert loaded.clinic_supplied and (loaded.loinc_panel, loaded.loinc_total) == ("71354-5", "99046-5")
    assert loaded.items[0].text == "EPDS item 1 (text supplied by the clinic)"
    assert loaded.items[2].values == [3, 2, 1, 0]
    assert loaded.score([0] * 9 + [2]).flags == ["suicidal_ideation"]
    assert by_code["cssrs-screen"].score([0, 0, None, None, None, 1, 1]).severity == "high"


def test_without_definition_files_the_clinic_instruments_are_not_registered():
    codes = {instrument.code for instrument in registry.all()}
    assert not codes & {"epds", "cssrs-screen"}


def test_a_definition_directory_registers_the_clinic_instruments(clinic_registry):
    codes = [instrument.code for instrument in clinic_registry.all()]
    assert codes[-2:] == ["cssrs-screen", "epds"]
    assert clinic_registry.get("epds").score([1] * 10).total == 10


def reason(data) -> str:
    with pytest.raises(DefinitionError) as error:
        build(data, source="test.json")
    return str(error.value)


def test_the_loader_refuses_reverse_items_in_forward_order():
    data = epds_definition()
    data["items"][2]["options"].reverse()
    message = reason(data)
    assert message.startswith("test.json: item 3") and "[3, 2, 1, 0]" in message and "order" in message


def test_the_loader_refuses_definitions_that_do_not_fit_the_rule():
    data = epds_definition()
    cases = {
        "missing items": lambda d: d["items"].pop(),
        "needs 10 items": lambda d: d["items"].append(copy.deepcopy(d["items"][0])),
        "unknown scoring rule": lambda d: d.update(scoring="phq9"),
        "format must be 1": lambda d: d.update(format=2),
        "licence must be": lambda d: d.update(licence=" "),
        "missing licence": lambda d: d.pop("licence"),
        "code": lambda d: d.update(code="EPDS!"),
        "needs a non-empty text": lambda d: d["items"][4].update(text=""),
        '"number": 2': lambda d: d["items"][1].update(number=3),
        "non-empty labels": lambda d: d["items"][0]["options"][0].update(label=""),
        "do not match": lambda d: d["items"][0]["options"].pop(),
    }
    for expected, change in cases.items():
        broken = copy.deepcopy(data)
        change(broken)
        if expected == "missing items":
            assert "needs 10 items; the file has 9" in reason(broken)
            continue
        assert expected in reason(broken), expected
    assert "one JSON object" in reason([])


def test_the_loader_refuses_cssrs_options_other_than_yes_and_no():
    data = json.loads((DEFINITIONS / "cssrs-screen.json").read_text())
    data["items"][6]["options"][0]["value"] = 2
    assert "item 6b (position 7)" in reason(data)
    for bad in (True, "1", 1.0):
        data["items"][6]["options"][0]["value"] = bad
        assert "item 6b" in reason(data)
    data = json.loads((DEFINITIONS / "cssrs-screen.json").read_text())
    data["items"][0]["number"] = True
    assert '"number": 1' in reason(data)


def test_the_loader_refuses_an_unreadable_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(DefinitionError, match=r"broken\.json: not a readable JSON file"):
        load_file(path)


def test_the_registry_skips_and_logs_a_refused_file_and_a_clashing_code(tmp_path, settings, caplog):
    good = epds_definition()
    bad = epds_definition()
    bad["items"][2]["options"].reverse()
    clash = epds_definition()
    clash["code"] = "phq9"
    (tmp_path / "a-good.json").write_text(json.dumps(good))
    (tmp_path / "b-bad.json").write_text(json.dumps({**bad, "code": "epds-bad"}))
    (tmp_path / "c-clash.json").write_text(json.dumps(clash))
    settings.IPT_INSTRUMENT_DIR = str(tmp_path)
    registry.reset()
    try:
        with caplog.at_level(logging.ERROR, logger="ipt.measures.instruments.registry"):
            codes = [instrument.code for instrument in registry.all()]
        assert "epds" in codes and "epds-bad" not in codes and codes.count("phq9") == 1
        assert registry.get("phq9").clinic_supplied is False
        assert (
            "b-bad.json: item 3" in caplog.text
            and "c-clash.json: code 'phq9' is already in use" in caplog.text
        )
    finally:
        settings.IPT_INSTRUMENT_DIR = ""
        registry.reset()


def test_the_example_definitions_hold_no_licensed_text():
    for path in DEFINITIONS.glob("*.json"):
        data = json.loads(path.read_text())
        for item in data["items"]:
            assert "supplied by the clinic" in item["text"]
