"""C-SSRS screen (Columbia Suicide Severity Rating Scale, screener): scoring rule only.

Electronic use of the C-SSRS is licensed, so its item texts are NOT in this repository: a clinic
adds them in a definition file with ``"scoring": "cssrs-screen"``.

Seven answers, each 1 (yes), 0 (no) or None (skipped), in this order: questions 1-6, then 6b
(question 6's follow-up: "was it within the past 3 months?"), which the form numbers "6b" and
the Item list numbers 7. Skip logic: 3-5 are asked only if 2 is yes (otherwise they must be
None); 6b only if 6 is yes. There is no total; the risk level is the severity.
"""

from .base import Answers, Instrument, Score, ScoringError
from .common import ClinicRule, check_value

YES_NO = (1, 0)
NAMES = {7: "6b"}
IDEATION_LEVELS = frozenset({"moderate", "high"})


def _check(instrument: Instrument, answers: Answers) -> list[int | None]:
    if isinstance(answers, str | bytes) or not isinstance(answers, list | tuple) or len(answers) != 7:
        length = len(answers) if isinstance(answers, list | tuple) else "no list"
        raise ScoringError(
            f"{instrument.title} needs 7 answers (questions 1–6 and 6b, null where skipped); got {length}."
        )
    values = list(answers)
    # Items are checked in order, so questions 2 and 6 are valid before their follow-ups are judged.
    for item in instrument.items:
        label = NAMES.get(item.number, str(item.number))
        answer = values[item.number - 1]
        if _asked(item.number, values):
            if answer is None:
                raise ScoringError(
                    f"{instrument.title} question {label} is required here; allowed values are 1 (yes), 0 (no).",
                    item=item.number,
                    allowed=item.values,
                )
            check_value(instrument, item, answer, label=label)
        elif answer is not None:
            parent = "2" if item.number <= 5 else "6"
            raise ScoringError(
                f"{instrument.title} question {label} is asked only when question {parent} is yes; "
                "leave it empty (null).",
                item=item.number,
                allowed=[],
            )
    return values


def _asked(number: int, values: list) -> bool:
    if number in (3, 4, 5):
        return values[1] == 1
    if number == 7:
        return values[5] == 1
    return True


def risk_level(values: list[int | None]) -> str:
    """high: yes to 4 or 5, or behaviour within 3 months; moderate: yes to 3, or behaviour longer ago;
    low: yes to 1 and/or 2 only; none: no to everything."""
    yes = {number for number, value in enumerate(values, start=1) if value == 1}
    if yes & {4, 5} or {6, 7} <= yes:
        return "high"
    if 3 in yes or 6 in yes:
        return "moderate"
    if yes & {1, 2}:
        return "low"
    return "none"


def score_cssrs(instrument: Instrument, answers: Answers) -> Score:
    values = _check(instrument, answers)
    level = risk_level(values)
    return Score(
        code=instrument.code,
        total=None,
        severity=level,
        flags=["suicidal_ideation"] if level in IDEATION_LEVELS else [],
        details={
            "risk": level,
            "behaviour": values[5] == 1,
            "behaviour_within_3_months": values[6] == 1,
        },
    )


RULE = ClinicRule(
    name="cssrs-screen",
    title="Columbia Suicide Severity Rating Scale, screener (C-SSRS)",
    option_values=(YES_NO,) * 7,
    scorer=score_cssrs,
    ordered=False,
    item_names=NAMES,
    loinc_total="93374-7",  # the risk level; there is no numeric total
)
