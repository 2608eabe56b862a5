"""PHQ-9 and PHQ-2 (Patient Health Questionnaire; Pfizer, free to reproduce without permission).

Item texts from the official PHQ-9 form (Kroenke, Spitzer & Williams, 2001).
"""

from typing import cast

from .base import Answers, Instrument, Item, Score
from .common import band, check_answers, complete_answers, items

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

FREQUENCY = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)

PHQ9_TEXTS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
    "fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)

DIFFICULTY = Item(
    number=10,
    text=(
        "If you checked off any problems, how difficult have these problems made it for you to do your "
        "work, take care of things at home, or get along with other people?"
    ),
    options=(
        (0, "Not difficult at all"),
        (1, "Somewhat difficult"),
        (2, "Very difficult"),
        (3, "Extremely difficult"),
    ),
    scored=False,
)

PHQ9_BANDS = ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately severe"), (27, "severe"))
SCREEN_BANDS = ((2, "negative"), (6, "positive"))
SUICIDAL_IDEATION = "suicidal_ideation"


def score_phq9(instrument: Instrument, answers: Answers) -> Score:
    # The 10th question is recorded, not scored; it may be left out or left blank.
    values = check_answers(instrument, answers, optional_trailing=1, may_be_missing={10})
    scored = cast(list[int], values[:9])  # items 1 to 9 are required; only the 10th may be missing
    total = sum(scored)
    # Item 9 above 0 is a safety flag whatever the total: it drives the safety workflow.
    flags = [SUICIDAL_IDEATION] if scored[8] > 0 else []
    return Score(
        code=instrument.code,
        total=total,
        severity=band(total, PHQ9_BANDS),
        flags=flags,
        details={"difficulty": values[9]},
    )


def score_screen(instrument: Instrument, answers: Answers) -> Score:
    """PHQ-2 and GAD-2: two items, 0-6, a positive screen at 3 or more."""
    values = complete_answers(instrument, answers)
    total = sum(values)
    return Score(code=instrument.code, total=total, severity=band(total, SCREEN_BANDS))


PHQ9 = Instrument(
    code="phq9",
    title="PHQ-9",
    items=(*items(PHQ9_TEXTS, FREQUENCY), DIFFICULTY),
    scorer=score_phq9,
    loinc_panel="44249-1",
    loinc_total="44261-6",
    caseness=10,
    reliable_change=6,
    minimum=0,
    maximum=27,
)

PHQ2 = Instrument(
    code="phq2",
    title="PHQ-2",
    items=items(PHQ9_TEXTS[:2], FREQUENCY),
    scorer=score_screen,
    loinc_panel="55757-9",
    loinc_total="55758-7",
    caseness=3,
    minimum=0,
    maximum=6,
)
