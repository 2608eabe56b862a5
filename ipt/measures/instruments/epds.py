"""EPDS (Edinburgh Postnatal Depression Scale; Cox, Holden & Sagovsky, 1987): scoring rule only.

Online reproduction of the EPDS needs written permission, so its item texts are NOT in this
repository: a clinic that holds a licence adds them in a definition file (docs/instrument-definitions.md)
with ``"scoring": "epds"``.

Answers are option values, as for every instrument. The reverse scoring lives in the option order:
items 1, 2 and 4 list their options top to bottom as 0, 1, 2, 3; items 3 and 5-10 as 3, 2, 1, 0.
The loader refuses a definition whose options are in any other order.
"""

from .base import Answers, Instrument, Score
from .common import ClinicRule, band, complete_answers

FORWARD, REVERSED = (0, 1, 2, 3), (3, 2, 1, 0)
REVERSED_ITEMS = frozenset({3, 5, 6, 7, 8, 9, 10})
OPTION_VALUES = tuple(REVERSED if number in REVERSED_ITEMS else FORWARD for number in range(1, 11))
BANDS = ((9, "below threshold"), (12, "possible depression"), (30, "probable depression"))
SELF_HARM_ITEM = 10


def value_at(item_number: int, position: int) -> int:
    """The score of the option at ``position`` (0 = top of the form) of an EPDS item."""
    return OPTION_VALUES[item_number - 1][position]


def score_epds(instrument: Instrument, answers: Answers) -> Score:
    values = complete_answers(instrument, answers)
    total = sum(values)
    # Item 10 (thoughts of self-harm) above 0 raises the safety flag whatever the total.
    flags = ["suicidal_ideation"] if values[SELF_HARM_ITEM - 1] > 0 else []
    return Score(code=instrument.code, total=total, severity=band(total, BANDS), flags=flags)


RULE = ClinicRule(
    name="epds",
    title="Edinburgh Postnatal Depression Scale (EPDS)",
    option_values=OPTION_VALUES,
    scorer=score_epds,
    loinc_panel="71354-5",
    loinc_total="99046-5",
    caseness=13,
    minimum=0,
    maximum=30,
)
