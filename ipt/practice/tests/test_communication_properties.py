"""R7, parsing: properties of the communication analyser (ipt/practice/communication.py).

Any text, from random Unicode to sentences stitched from the words its rules look for, is analysed
without an exception, quickly; every finding's spans lie inside the text, in order, without
overlapping, and cover exactly the words the finding reports; the answer is the same twice and
fits the API's schema.
"""

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from ipt.practice.api import CommunicationOut
from ipt.practice.communication import FEATURES, MAX_SUGGESTIONS, PROBLEMS, STRENGTHS, analyse

# Words and pieces the rules react to, with their typographic and casing variants.
PIECES = [
    "you", "You", "YOU", "you're", "you’re", "your", "always", "never", "every time", "every single day",
    "I", "I feel", "I feel that", "I'm", "I’m", "I'd appreciate it if you could", "could you", "please",
    "would you mind", "I need", "I wish", "it would be nice if", "someone", "somebody", "a real friend",
    "you should know", "if you cared", "whatever", "fine", "forget it", "I'm done", "leave me alone",
    "I don't want to talk", "never mind", "oh great", "thanks a lot", "as usual", "idiot", "stupid",
    "you make me", "it's your fault", "not your fault", "you're right", "I know you've had a lot on",
    "I understand", "last night", "on Tuesday", "yesterday", "when we", "at dinner", "Sam", "Mum",
    "because", "that", "when", "how", "did", "not", "don't", "didn't", "wasn't", "never ever",
    ".", "!", "?", "...", ",", ";", "\n", " ", "  ", "\t", "‘", "’", "“", "”", "—", "😀", "é", "ß", "İ",
]  # fmt: skip
SEPARATORS = st.sampled_from([" ", " ", " ", ", ", ". ", "! ", "? ", "\n", "", "’", "'"])
STITCHED = st.lists(st.tuples(st.sampled_from(PIECES), SEPARATORS), max_size=40).map(
    lambda parts: "".join(piece + separator for piece, separator in parts)
)
MAX_TEXT = 2000  # what the API accepts
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=400)
TEXTS = st.one_of(ANY_TEXT, STITCHED, st.tuples(ANY_TEXT, STITCHED, ANY_TEXT).map("".join))


def check(text: str) -> None:
    started = time.perf_counter()
    analysis = analyse(text)
    elapsed = time.perf_counter() - started

    assert analysis.text == text
    seen = set()
    for finding in analysis.findings:
        assert finding.feature in FEATURES and finding.feature not in seen
        seen.add(finding.feature)
        assert finding.kind == ("strength" if finding.feature in STRENGTHS else "problem")
        assert finding.spans, f"{finding.feature} has no span"
        previous_end = 0
        for start, end in finding.spans:
            assert isinstance(start, int) and isinstance(end, int)
            assert 0 <= start < end <= len(text), f"{finding.feature} span {(start, end)} outside {len(text)}"
            assert start >= previous_end, f"{finding.feature} spans overlap or are out of order"
            previous_end = end
        assert finding.words(text) == [text[start:end] for start, end in finding.spans]
        assert all(word.strip() for word in finding.words(text)), f"{finding.feature} marks only blanks"
    assert analysis.features == seen
    assert analysis.strengths and all(isinstance(line, str) and line for line in analysis.strengths)
    assert len(analysis.suggestions) <= MAX_SUGGESTIONS
    assert set(FEATURES) == set(STRENGTHS) | set(PROBLEMS)

    as_dict = analysis.as_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    CommunicationOut.model_validate(as_dict)
    assert analyse(text).as_dict() == as_dict  # pure: the same answer twice
    assert elapsed < 2.0, f"{elapsed:.2f} s for {len(text)} characters"


@settings(max_examples=400, deadline=None)
@given(text=TEXTS)
def test_any_text_is_analysed_with_spans_inside_it(text):
    check(text)


@settings(max_examples=30, deadline=None)
@given(piece=STITCHED, times=st.integers(1, 40))
def test_long_repetitive_texts_up_to_the_apis_limit_are_analysed_quickly(piece, times):
    check(((piece or "you never ") * times)[:MAX_TEXT])
