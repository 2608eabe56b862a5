"""AUDIT and AUDIT-C (Alcohol Use Disorders Identification Test; WHO, free to reproduce).

Item texts and answer labels from the WHO AUDIT (Babor et al., 2001).
"""

from .base import Answers, Instrument, Item, Score
from .common import band, complete_answers

HOW_OFTEN = (
    (0, "Never"),
    (1, "Less than monthly"),
    (2, "Monthly"),
    (3, "Weekly"),
    (4, "Daily or almost daily"),
)
INJURY = ((0, "No"), (2, "Yes, but not in the last year"), (4, "Yes, during the last year"))

ITEMS = (
    Item(
        1,
        "How often do you have a drink containing alcohol?",
        (
            (0, "Never"),
            (1, "Monthly or less"),
            (2, "2 to 4 times a month"),
            (3, "2 to 3 times a week"),
            (4, "4 or more times a week"),
        ),
    ),
    Item(
        2,
        "How many drinks containing alcohol do you have on a typical day when you are drinking?",
        ((0, "1 or 2"), (1, "3 or 4"), (2, "5 or 6"), (3, "7, 8, or 9"), (4, "10 or more")),
    ),
    Item(3, "How often do you have six or more drinks on one occasion?", HOW_OFTEN),
    Item(
        4,
        "How often during the last year have you found that you were not able to stop drinking once you "
        "had started?",
        HOW_OFTEN,
    ),
    Item(
        5,
        "How often during the last year have you failed to do what was normally expected from you because "
        "of drinking?",
        HOW_OFTEN,
    ),
    Item(
        6,
        "How often during the last year have you needed a first drink in the morning to get yourself going "
        "after a heavy drinking session?",
        HOW_OFTEN,
    ),
    Item(
        7,
        "How often during the last year have you had a feeling of guilt or remorse after drinking?",
        HOW_OFTEN,
    ),
    Item(
        8,
        "How often during the last year have you been unable to remember what happened the night before "
        "because you had been drinking?",
        HOW_OFTEN,
    ),
    Item(9, "Have you or someone else been injured as a result of your drinking?", INJURY),
    Item(
        10,
        "Has a relative or friend or a doctor or another health worker been concerned about your drinking "
        "or suggested you cut down?",
        INJURY,
    ),
)

ZONES = ((7, "low risk"), (15, "hazardous"), (19, "harmful"), (40, "possible dependence"))
ZONE_LABELS = [label for _, label in ZONES]


def score_audit(instrument: Instrument, answers: Answers) -> Score:
    values = complete_answers(instrument, answers)
    total = sum(values)
    base_zone = ZONE_LABELS.index(band(total, ZONES))
    # WHO guidance: dependence items (4-6) at 2 or more, or harm items (9, 10) at 4 ("during the last
    # year"), call for the next zone up. "Items 4-6 score 2 or more" is read as ANY one of them.
    dependence_items = any(values[number - 1] >= 2 for number in (4, 5, 6))
    recent_harm = any(values[number - 1] == 4 for number in (9, 10))
    bumped = (dependence_items or recent_harm) and base_zone < len(ZONES) - 1
    zone = base_zone + 1 if bumped else base_zone
    notes = [f"Moved up one zone from {ZONE_LABELS[base_zone]}."] if bumped else []
    return Score(
        code=instrument.code,
        total=total,
        severity=ZONE_LABELS[zone],
        notes=notes,
        details={
            "zone": zone + 1,  # WHO zones I-IV
            "zone_by_total": base_zone + 1,
            "bumped_by_dependence_items": dependence_items,
            "bumped_by_recent_harm": recent_harm,
        },
    )


AUDIT = Instrument(
    code="audit",
    title="AUDIT",
    items=ITEMS,
    scorer=score_audit,
    loinc_panel="72110-0",
    loinc_total="75624-7",
    caseness=8,
    minimum=0,
    maximum=40,
)

AUDITC_MEN, AUDITC_WOMEN = 4, 3


def score_auditc(instrument: Instrument, answers: Answers) -> Score:
    total = sum(complete_answers(instrument, answers))
    # The cut point depends on sex, which is not an answer: report both and let the reader apply one.
    positive_men, positive_women = total >= AUDITC_MEN, total >= AUDITC_WOMEN
    if positive_men:
        severity = "positive"
    elif positive_women:
        severity = "positive for women"
    else:
        severity = "negative"
    return Score(
        code=instrument.code,
        total=total,
        severity=severity,
        details={"positive_men": positive_men, "positive_women": positive_women},
    )


AUDITC = Instrument(
    code="auditc",
    title="AUDIT-C",
    items=ITEMS[:3],
    scorer=score_auditc,
    loinc_panel="72109-2",
    loinc_total="75626-2",
    minimum=0,
    maximum=12,
)
