"""WSAS (Work and Social Adjustment Scale; Mundt, Marks, Shear & Greist, 2002; free to use).

Item texts from the published scale, with "my problem" standing for the problem named on the form.
"""

from decimal import ROUND_HALF_UP, Decimal

from .base import Answers, Instrument, Score
from .common import band, check_answers, items

STEM = (
    "Rate each statement from 0 (not at all impaired) to 8 (very severely impaired). "
    "If you are retired or choose not to have a job for reasons unrelated to your problem, leave the "
    "first question blank."
)

IMPAIRMENT = (
    (0, "0 Not at all"),
    (1, "1"),
    (2, "2 Slightly"),
    (3, "3"),
    (4, "4 Definitely"),
    (5, "5"),
    (6, "6 Markedly"),
    (7, "7"),
    (8, "8 Very severely"),
)

TEXTS = (
    "Because of my problem my ability to work is impaired.",
    "Because of my problem my home management (cleaning, tidying, shopping, cooking, looking after home "
    "or children, paying bills) is impaired.",
    "Because of my problem my social leisure activities (with other people, e.g. parties, bars, clubs, "
    "outings, visits, dating, home entertaining) are impaired.",
    "Because of my problem my private leisure activities (done alone, such as reading, gardening, "
    "collecting, sewing, walking alone) are impaired.",
    "Because of my problem my ability to form and maintain close relationships with others, including "
    "those I live with, is impaired.",
)

BANDS = ((9, "subclinical"), (20, "significant impairment"), (40, "moderately severe or worse"))


def score_wsas(instrument: Instrument, answers: Answers) -> Score:
    values = check_answers(instrument, answers, may_be_missing=range(1, 6))
    given = [value for value in values if value is not None]
    missing = [number for number, value in enumerate(values, start=1) if value is None]
    if len(missing) >= 2:
        return Score(
            code=instrument.code,
            total=None,
            severity="",
            notes=[f"Not scored: {len(missing)} items missing (items {', '.join(map(str, missing))})."],
            details={"missing_items": missing},
        )
    if not missing:
        total = sum(given)
        return Score(code=instrument.code, total=total, severity=band(total, BANDS))
    # One missing item is replaced by the mean of the other four; the total (sum x 5/4) is rounded to
    # the nearest integer, halves up (Decimal, so 12.5 becomes 13 rather than banker's 12).
    exact = Decimal(sum(given)) * 5 / 4
    total = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Score(
        code=instrument.code,
        total=total,
        severity=band(total, BANDS),
        notes=[
            f"Item {missing[0]} was missing and was replaced by the mean of the other four items; "
            f"the total {exact} was rounded to {total}."
        ],
        details={"missing_items": missing, "unrounded_total": float(exact)},
    )


WSAS = Instrument(
    code="wsas",
    title="Work and Social Adjustment Scale (WSAS)",
    items=items(TEXTS, IMPAIRMENT),
    scorer=score_wsas,
    caseness=10,
    minimum=0,
    maximum=40,
)
