"""Properties of every instrument: totals in range, invalid answer sets refused, scoring deterministic."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipt.measures.instruments import cssrs, epds, registry
from ipt.measures.instruments.base import Instrument, ScoringError

INSTRUMENTS = [*registry.all(), epds.RULE.instrument(), cssrs.RULE.instrument()]
SCORED = [instrument for instrument in INSTRUMENTS if instrument.code != "cssrs-screen"]
IDS = [instrument.code for instrument in INSTRUMENTS]


def valid_answers(instrument: Instrument):
    if instrument.code == "cssrs-screen":
        return st.builds(_cssrs, *[st.sampled_from([0, 1])] * 7)
    values = [st.sampled_from(item.values) for item in instrument.items]
    if instrument.code == "wsas":
        values = [st.one_of(st.none(), value) for value in values]
    return st.tuples(*values).map(list)


def _cssrs(q1, q2, q3, q4, q5, q6, q6b):
    follow_up = [q3, q4, q5] if q2 else [None] * 3
    return [q1, q2, *follow_up, q6, q6b if q6 else None]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_valid_answers_always_score_within_range_and_the_same_way_twice(instrument, data):
    answers = data.draw(valid_answers(instrument))
    first, second = instrument.score(answers), instrument.score(list(answers))
    assert first == second
    if first.total is not None:
        assert instrument.minimum <= first.total <= instrument.maximum
    else:
        assert instrument.code in ("wsas", "cssrs-screen")
    assert set(first.flags) <= {"suicidal_ideation"}
    if instrument.code == "wsas" and sum(answer is None for answer in answers) >= 2:
        assert first.total is None


@pytest.mark.parametrize("instrument", SCORED, ids=[instrument.code for instrument in SCORED])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_an_out_of_range_answer_anywhere_is_refused_naming_that_item(instrument, data):
    answers = data.draw(valid_answers(instrument))
    position = data.draw(st.integers(0, len(answers) - 1))
    item = instrument.items[position]
    bad = data.draw(
        st.one_of(
            st.integers(-1000, 1000).filter(lambda value: value not in item.values),
            st.booleans(),
            st.floats(allow_nan=True),
            st.text(max_size=3),
        )
    )
    # Earlier answers are valid and complete, so the error is about this item.
    answers = [
        value if value is not None else item_.values[0]
        for value, item_ in zip(answers, instrument.items, strict=True)
    ]
    answers[position] = bad
    with pytest.raises(ScoringError) as error:
        instrument.score(answers)
    assert error.value.item == item.number
    assert error.value.allowed == item.values


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_an_answer_set_of_the_wrong_length_is_refused(instrument, data):
    accepted = {len(instrument.items)}
    if instrument.code == "phq9":
        accepted.add(9)
    length = data.draw(st.integers(0, 30).filter(lambda value: value not in accepted))
    answers = data.draw(st.lists(st.sampled_from([0, 1]), min_size=length, max_size=length))
    with pytest.raises(ScoringError):
        instrument.score(answers)


@pytest.mark.parametrize("instrument", SCORED, ids=[instrument.code for instrument in SCORED])
def test_a_missing_answer_is_refused_except_where_a_rule_allows_it(instrument):
    for item in instrument.items:
        answers = [item_.values[0] for item_ in instrument.items]
        answers[item.number - 1] = None
        if instrument.code == "wsas" or (instrument.code == "phq9" and item.number == 10):
            instrument.score(answers)
            continue
        with pytest.raises(ScoringError) as error:
            instrument.score(answers)
        assert error.value.item == item.number
