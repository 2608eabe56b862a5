"""PG-13-R (Prolonged Grief-13-Revised; Prigerson et al., 2021).

The item labels here are SHORT PARAPHRASES, not the published wording: replace them with the
official text if the clinic holds it. Items 1-2 are gate questions (a significant loss; at least
12 months ago); items 3-12 are rated 1-5 and summed (10-50); item 13 of the published form
(distress or impairment) is not part of the total and is not collected here.
"""

from .base import Answers, Instrument, Item, Score
from .common import complete_answers, items

INTENSITY = (
    (1, "Not at all"),
    (2, "Slightly"),
    (3, "Somewhat"),
    (4, "Quite a bit"),
    (5, "Overwhelmingly"),
)

GATES = (
    Item(1, "Have you lost someone significant to you? (paraphrased)", ((0, "No"), (1, "Yes"))),
    Item(
        2,
        "How long ago did the loss happen? (paraphrased)",
        ((0, "Less than 12 months ago"), (1, "12 months ago or more")),
    ),
)

SYMPTOM_LABELS = (
    "Yearning or longing for the person who died (paraphrased)",
    "Preoccupied with thoughts or memories of the person (paraphrased)",
    "Feeling as though part of yourself has died (paraphrased)",
    "Trouble believing or accepting the death (paraphrased)",
    "Avoiding reminders that the person has died (paraphrased)",
    "Intense emotional pain about the death (paraphrased)",
    "Difficulty getting on with life, e.g. friends or interests (paraphrased)",
    "Feeling numb or emotionally detached since the death (paraphrased)",
    "Feeling that life is meaningless without the person (paraphrased)",
    "Feeling intensely alone or lonely since the death (paraphrased)",
)

PROBABLE_AT = 30


def score_pg13r(instrument: Instrument, answers: Answers) -> Score:
    values = complete_answers(instrument, answers)
    total = sum(values[2:])
    loss, twelve_months = values[0] == 1, values[1] == 1
    notes = []
    if not (loss and twelve_months):
        notes.append(
            "The gate questions are not met (a significant loss at least 12 months ago): "
            "the total does not indicate prolonged grief disorder on its own."
        )
    return Score(
        code=instrument.code,
        total=total,
        severity="probable prolonged grief disorder" if total >= PROBABLE_AT else "below threshold",
        notes=notes,
        details={"significant_loss": loss, "at_least_12_months": twelve_months},
    )


PG13R = Instrument(
    code="pg13r",
    title="Prolonged Grief-13-Revised (PG-13-R)",
    items=(*GATES, *items(SYMPTOM_LABELS, INTENSITY, first=3)),
    scorer=score_pg13r,
    caseness=PROBABLE_AT,
    minimum=10,
    maximum=50,
)
