"""GAD-7 and GAD-2 (Generalized Anxiety Disorder scale; Pfizer, free to reproduce without permission).

Item texts from the official GAD-7 form (Spitzer, Kroenke, Williams & Löwe, 2006).
"""

from .base import Answers, Instrument, Score
from .common import band, complete_answers, items
from .phq import FREQUENCY, score_screen

STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"

GAD7_TEXTS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)

GAD7_BANDS = ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe"))


def score_gad7(instrument: Instrument, answers: Answers) -> Score:
    total = sum(complete_answers(instrument, answers))
    return Score(code=instrument.code, total=total, severity=band(total, GAD7_BANDS))


def gad7(reliable_change: int = 4) -> Instrument:
    # The reliable-change threshold is a setting (4 by NHS Talking Therapies; some studies use 6).
    return Instrument(
        code="gad7",
        title="GAD-7",
        items=items(GAD7_TEXTS, FREQUENCY),
        scorer=score_gad7,
        loinc_panel="69737-5",
        loinc_total="70274-6",
        caseness=8,
        reliable_change=reliable_change,
        minimum=0,
        maximum=21,
    )


GAD2 = Instrument(
    code="gad2",
    title="GAD-2",
    items=items(GAD7_TEXTS[:2], FREQUENCY),
    scorer=score_screen,
    loinc_panel="",
    loinc_total="70272-0",
    caseness=3,
    minimum=0,
    maximum=6,
)
