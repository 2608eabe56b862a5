"""Precision and recall of the analyser per feature on the labelled set written for this project.

The target is >= 0.85 for each feature on the whole set. Most of the set was in view while the rules
were written, so this is an optimistic measure; the "blind" split (never used to change a rule) and the
separate holdout set (communication_holdout.json, written before the rules were broadened and never
used to change one) are the honest ones, reported by bench/communication_feedback.py and bench/README.md.
"""

import json
from pathlib import Path

import pytest

from ipt.practice.communication import FEATURES, analyse

DATA = Path(__file__).resolve().parent.parent / "data"
DATASET = DATA / "communication_examples.json"
HOLDOUT = DATA / "communication_holdout.json"
TARGET = 0.85
# Honest shortfalls (see bench/README.md): strict, so the test fails once they are fixed.
KNOWN_BELOW: set[tuple[str, str]] = set()
KNOWN_BELOW_ON_HOLDOUT = {
    ("generalisation", "precision"): "0.76 on the holdout (13 right, 4 false alarms)",
}


def load(path: Path = DATASET):
    return json.loads(path.read_text(encoding="utf-8"))


def measure(path: Path = DATASET) -> dict[str, dict]:
    """Per feature: precision, recall and the misclassified sentences, over the whole set."""
    rows = {f: {"tp": 0, "fp_text": [], "fn_text": []} for f in FEATURES}
    for example in load(path)["examples"]:
        found, expected = analyse(example["text"]).features, set(example["features"])
        for feature, row in rows.items():
            if feature in found and feature in expected:
                row["tp"] += 1
            elif feature in found:
                row["fp_text"].append(example["text"])
            elif feature in expected:
                row["fn_text"].append(example["text"])
    for row in rows.values():
        row["precision"] = row["tp"] / ((row["tp"] + len(row["fp_text"])) or 1)
        row["recall"] = row["tp"] / ((row["tp"] + len(row["fn_text"])) or 1)
    return rows


def test_the_labelled_set_has_at_least_200_examples_and_15_positives_per_feature():
    data = load()
    examples = data["examples"]
    assert len(examples) >= 200
    assert set(data["features"]) == set(FEATURES)
    for example in examples:
        assert (
            example["text"].strip()
            and example["to"]
            and example["split"] in {"development", "revision", "revision_2", "blind"}
        )
        assert set(example["features"]) <= set(FEATURES), example
    texts = [e["text"] for e in examples]
    assert len(texts) == len(set(texts)), "duplicate sentences"
    for feature in FEATURES:
        positives = sum(feature in e["features"] for e in examples)
        assert positives >= 15, f"{feature}: only {positives} positive examples"
    assert sum(not e["features"] for e in examples) >= 15, "too few sentences with no feature at all"


@pytest.mark.parametrize(
    ("feature", "measure_name"),
    [
        pytest.param(
            feature,
            name,
            marks=[pytest.mark.xfail(strict=True, reason="honest shortfall, see bench/README.md")]
            if (feature, name) in KNOWN_BELOW
            else [],
        )
        for feature in FEATURES
        for name in ("precision", "recall")
    ],
)
def test_each_feature_reaches_the_target_precision_and_recall_on_the_labelled_set(feature, measure_name):
    row = measure()[feature]
    assert row[measure_name] >= TARGET, (
        f"{feature} {measure_name} {row[measure_name]:.2f}; "
        f"false positives: {row['fp_text']}; missed: {row['fn_text']}"
    )


def test_the_holdout_set_has_at_least_120_fresh_examples_in_the_same_format():
    data = load(HOLDOUT)
    examples = data["examples"]
    assert len(examples) >= 120
    assert set(data["features"]) == set(FEATURES)
    labelled = {e["text"] for e in load()["examples"]}
    texts = [e["text"] for e in examples]
    assert len(texts) == len(set(texts)), "duplicate sentences"
    repeated = len(set(texts) & labelled)  # a count only: the message must not quote the blind split
    assert repeated == 0, f"the holdout repeats {repeated} sentences of the labelled set"
    for example in examples:
        assert example["text"].strip() and example["to"] and example["split"] == "holdout"
        assert set(example["features"]) <= set(FEATURES), example
    for feature in FEATURES:
        assert sum(feature in e["features"] for e in examples) >= 8, feature
    assert sum(not e["features"] for e in examples) >= 15, "too few sentences with no feature at all"


@pytest.mark.parametrize(
    ("feature", "measure_name"),
    [
        pytest.param(
            feature,
            name,
            marks=[
                pytest.mark.xfail(
                    strict=True, reason=f"honest shortfall: {KNOWN_BELOW_ON_HOLDOUT[feature, name]}"
                )
            ]
            if (feature, name) in KNOWN_BELOW_ON_HOLDOUT
            else [],
        )
        for feature in FEATURES
        for name in ("precision", "recall")
    ],
)
def test_each_feature_reaches_the_target_precision_and_recall_on_the_holdout(feature, measure_name):
    """Counts only: a failure names no sentence, so the holdout stays unread while rules change."""
    row = measure(HOLDOUT)[feature]
    assert row[measure_name] >= TARGET, (
        f"{feature} {measure_name} {row[measure_name]:.2f} on the holdout "
        f"({row['tp']} right, {len(row['fp_text'])} false alarms, {len(row['fn_text'])} missed)"
    )
