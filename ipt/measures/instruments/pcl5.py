"""PCL-5 (PTSD Checklist for DSM-5; US Department of Veterans Affairs, public domain).

Item texts from the official PCL-5 form (Weathers et al., 2013).
"""

from .base import Answers, Instrument, Score
from .common import complete_answers, items

STEM = (
    "In the past month, how much were you bothered by: "
    "(the stressful experience is the one you identified when you started this form)"
)

BOTHER = (
    (0, "Not at all"),
    (1, "A little bit"),
    (2, "Moderately"),
    (3, "Quite a bit"),
    (4, "Extremely"),
)

TEXTS = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you "
    "were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience (for "
    "example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, having "
    "thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, the "
    "world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving "
    "feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)

# DSM-5 clusters: item numbers, and how many symptoms (items rated 2 or more) a provisional
# diagnosis needs in each.
CLUSTERS = {
    "B": (range(1, 6), 1),
    "C": (range(6, 8), 1),
    "D": (range(8, 15), 2),
    "E": (range(15, 21), 2),
}
SYMPTOM_AT = 2
DEFAULT_CUTOFF = 31


def score_pcl5(instrument: Instrument, answers: Answers) -> Score:
    values = complete_answers(instrument, answers)
    total = sum(values)
    subscales, symptoms = {}, {}
    for cluster, (numbers, _) in CLUSTERS.items():
        ratings = [values[number - 1] for number in numbers]
        subscales[cluster] = sum(ratings)
        symptoms[cluster] = sum(1 for rating in ratings if rating >= SYMPTOM_AT)
    provisional = all(symptoms[cluster] >= needed for cluster, (_, needed) in CLUSTERS.items())
    cutoff = instrument.caseness if instrument.caseness is not None else DEFAULT_CUTOFF
    return Score(
        code=instrument.code,
        total=total,
        severity="probable PTSD" if total >= cutoff else "below threshold",
        subscales=subscales,
        details={"provisional_diagnosis": provisional, "cluster_symptoms": symptoms, "cutoff": cutoff},
    )


def pcl5(cutoff: int = DEFAULT_CUTOFF) -> Instrument:
    # The cut point is a setting: 31-33 are in use.
    return Instrument(
        code="pcl5",
        title="PCL-5",
        items=items(TEXTS, BOTHER),
        scorer=score_pcl5,
        loinc_panel="101697-1",
        loinc_total="101698-9",
        caseness=cutoff,
        reliable_change=10,
        minimum=0,
        maximum=80,
    )
