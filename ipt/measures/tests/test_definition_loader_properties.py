"""R7, parsing: properties of the instrument definition loader (docs/instrument-definitions.md).

Whatever a clinic puts in a definition file, the loader either returns an instrument that fits its
scoring rule or raises a DefinitionError naming the file; it never fails any other way. Every
valid definition (any texts, options in any order the rule allows, extra keys) loads with its
texts and scores exactly as the rule does; one changed or missing field is refused or harmless.
"""

import dataclasses
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ipt.measures.instruments.base import Instrument, ScoringError
from ipt.measures.instruments.loader import CODE_PATTERN, RULES, DefinitionError, build, load_file

SOURCE = "clinic.json"
# Any text, including blank, control characters and astral-plane characters; no lone surrogates
# (JSON files are read as UTF-8, which cannot hold them).
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
TEXT = ANY_TEXT.filter(lambda value: value.strip() != "")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(ANY_TEXT, children, max_size=5),
    max_leaves=25,
)


@st.composite
def definitions(draw, rule_name=None) -> dict:
    """A valid definition for one of the rules, with random texts and extra keys."""
    rule = RULES[rule_name or draw(st.sampled_from(sorted(RULES)))]
    items = []
    for index, values in enumerate(rule.option_values):
        options = [{"value": value, "label": draw(TEXT)} for value in values]
        if not rule.ordered:
            options = draw(st.permutations(options))
        item = {"number": index + 1, "text": draw(TEXT), "options": options}
        if draw(st.booleans()):
            item["note"] = draw(JSON)  # unknown keys are ignored
        items.append(item)
    definition = {
        "format": 1,
        "code": draw(st.from_regex(CODE_PATTERN, fullmatch=True)),
        "title": draw(TEXT),
        "version": draw(TEXT),
        "licence": draw(TEXT),
        "scoring": rule.name,
        "items": items,
    }
    if draw(st.booleans()):
        definition["comment"] = draw(JSON)
    return definition


def valid_answers(rule, data) -> list:
    if rule.name == "cssrs-screen":
        q1, q2, q3, q4, q5, q6, q6b = (data.draw(st.sampled_from([0, 1])) for _ in range(7))
        return [q1, q2, *([q3, q4, q5] if q2 else [None] * 3), q6, q6b if q6 else None]
    return [data.draw(st.sampled_from(values)) for values in rule.option_values]


def fits_its_rule(instrument: Instrument, definition: dict) -> None:
    """What a loaded instrument must be, whatever definition it came from."""
    rule = RULES[definition["scoring"]]
    assert isinstance(instrument, Instrument)
    assert type(definition["format"]) is int and definition["format"] == 1  # not true, not 1.0
    assert CODE_PATTERN.match(instrument.code)
    assert instrument.title.strip() and instrument.title == instrument.title.strip()
    assert [item.number for item in instrument.items] == list(range(1, len(rule.option_values) + 1))
    for item, values in zip(instrument.items, rule.option_values, strict=True):
        assert item.text.strip() and item.text == item.text.strip()
        assert tuple(value for value, _label in item.options) == values
        assert all(isinstance(label, str) and label.strip() for _value, label in item.options)


@settings(max_examples=300, deadline=None)
@given(data=JSON)
def test_any_json_value_loads_or_is_refused_with_a_definition_error_naming_the_file(data):
    try:
        instrument = build(data, source=SOURCE)
    except DefinitionError as error:
        assert str(error).startswith(f"{SOURCE}: ") and len(str(error)) > len(SOURCE) + 2
    else:
        fits_its_rule(instrument, data)


@settings(max_examples=200, deadline=None)
@given(definition=definitions(), data=st.data())
def test_every_valid_definition_loads_with_its_texts_and_scores_as_its_rule(definition, data):
    instrument = build(json.loads(json.dumps(definition)), source=SOURCE)

    fits_its_rule(instrument, definition)
    rule = RULES[definition["scoring"]]
    assert instrument.code == definition["code"]
    assert instrument.title == definition["title"].strip()
    for item, given_item in zip(instrument.items, definition["items"], strict=True):
        assert item.text == given_item["text"].strip()
        labels = {option["value"]: option["label"].strip() for option in given_item["options"]}
        assert dict(item.options) == labels
    answers = valid_answers(rule, data)
    expected = rule.instrument().score(answers)
    assert instrument.score(answers) == dataclasses.replace(expected, code=definition["code"])


@settings(max_examples=100, deadline=None)
@given(definition=definitions(), version=JSON)
def test_a_format_other_than_the_integer_1_is_refused(definition, version):
    assume(not (type(version) is int and version == 1))
    definition["format"] = version
    try:
        build(definition, source=SOURCE)
    except DefinitionError as error:
        assert "format must be 1" in str(error)
    else:
        raise AssertionError(f"format {version!r} was accepted")


# Where one field of a definition can be changed or removed.
def _paths(definition: dict) -> list[tuple]:
    paths = [(key,) for key in definition]
    for index, item in enumerate(definition["items"]):
        paths.append(("items", index))
        paths += [("items", index, key) for key in item]
        for position, option in enumerate(item["options"]):
            paths.append(("items", index, "options", position))
            paths += [("items", index, "options", position, key) for key in option]
    return paths


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=definitions(), data=st.data())
def test_one_changed_or_missing_field_is_refused_with_a_reason_or_harmless(definition, data):
    path = data.draw(st.sampled_from(_paths(definition)))
    *parents, last = path
    holder = definition
    for step in parents:
        holder = holder[step]
    if data.draw(st.booleans()):
        replacement = data.draw(JSON)
        assume(replacement != holder[last])
        holder[last] = replacement
    else:
        del holder[last]

    try:
        instrument = build(definition, source=SOURCE)
    except DefinitionError as error:
        assert str(error).startswith(f"{SOURCE}: ")
    else:
        fits_its_rule(instrument, definition)


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=300) | JSON.map(lambda value: json.dumps(value).encode()))
def test_any_file_content_loads_or_is_refused_with_a_definition_error(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / SOURCE
        path.write_bytes(content)
        try:
            load_file(path)
        except DefinitionError as error:
            assert str(error).startswith(f"{SOURCE}: ")


@settings(max_examples=100, deadline=None)
@given(definition=definitions(), answers=st.lists(st.one_of(st.none(), st.integers(-5, 5)), max_size=12))
def test_a_loaded_instrument_scores_any_answer_list_or_refuses_it_with_a_scoring_error(definition, answers):
    instrument = build(definition, source=SOURCE)
    try:
        result = instrument.score(answers)
    except ScoringError:
        return
    if result.total is not None:
        assert instrument.minimum <= result.total <= instrument.maximum
