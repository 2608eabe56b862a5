"""Precision and recall of the analyser per feature on the labelled set written for this project.

The target is >= 0.85 for each feature. All of the labelled set was read while the rules were
written or widened, so it is an optimistic measure; the holdout set (communication_holdout.json,
written by a writer who never saw the rules, and never used to change one) is the honest one. Its
failures print counts only, so it stays unread while rules change.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from ipt.practice.communication import FEATURES
from ipt.practice.communication_scores import HOLDOUT, TARGET, load, scores

ROOT = Path(__file__).resolve().parents[3]
SPLITS = {"development", "revision", "revision_2", "revision_3", "revision_4", "revision_5", "revision_6"}
# Honest shortfalls (see bench/README.md): strict, so the test fails once they are fixed.
KNOWN_BELOW: set[tuple[str, str]] = set()
KNOWN_BELOW_ON_HOLDOUT: dict[tuple[str, str], str] = {
    ("generalisation", "precision"): "0.64 (27 right, 15 false alarms, 15 missed)",
    ("generalisation", "recall"): "0.64 (27 right, 15 false alarms, 15 missed)",
    ("blame_you_accusation", "precision"): "0.82 (14 right, 3 false alarms, 38 missed)",
    ("blame_you_accusation", "recall"): "0.27 (14 right, 3 false alarms, 38 missed)",
    ("hint", "recall"): "0.24 (7 right, 1 false alarms, 22 missed)",
    ("unstated_expectation", "recall"): "0.43 (9 right, 0 false alarms, 12 missed)",
    ("withdrawal", "recall"): "0.24 (7 right, 0 false alarms, 22 missed)",
    ("insult_sarcasm", "precision"): "0.70 (7 right, 3 false alarms, 28 missed)",
    ("insult_sarcasm", "recall"): "0.20 (7 right, 3 false alarms, 28 missed)",
    ("i_statement_feeling", "recall"): "0.84 (32 right, 0 false alarms, 6 missed)",
    ("acknowledge_other_view", "recall"): "0.78 (29 right, 2 false alarms, 8 missed)",
}


def measure(path: Path | None = None) -> dict[str, dict]:
    return scores(load(path)["examples"] if path else load()["examples"])


def test_the_labelled_set_has_at_least_200_examples_and_15_positives_per_feature():
    data = load()
    examples = data["examples"]
    assert len(examples) >= 200
    assert set(data["features"]) == set(FEATURES)
    for example in examples:
        assert example["text"].strip() and example["to"] and example["split"] in SPLITS
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


def test_the_holdout_set_has_at_least_150_fresh_examples_in_the_same_format():
    data = load(HOLDOUT)
    examples = data["examples"]
    assert len(examples) >= 150
    assert set(data["features"]) == set(FEATURES)
    labelled = {e["text"] for e in load()["examples"]}
    texts = [e["text"] for e in examples]
    assert len(texts) == len(set(texts)), "duplicate sentences"
    repeated = len(set(texts) & labelled)  # a count only: the message must not quote the blind split
    assert repeated == 0, f"the holdout repeats {repeated} sentences of the labelled set"
    for example in examples:
        assert example["text"].strip() and example["to"] and example["split"] == "holdout_4"
        assert set(example["features"]) <= set(FEATURES), example
    for feature in FEATURES:
        assert sum(feature in e["features"] for e in examples) >= 12, feature
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


def test_the_benchmark_script_prints_every_features_figures_for_both_sets_and_fails_below_the_target():
    run = subprocess.run(
        [sys.executable, "bench/communication_feedback.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    holdout = run.stdout[run.stdout.index("Holdout (") :]
    for feature in FEATURES:
        row = scores(load(HOLDOUT)["examples"])[feature]
        assert (
            f"{feature:26} {row['tp'] + row['fn']:>4} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4}" in holdout
        )
    assert "messages/s" in run.stdout and "false positive:" not in holdout
    below = [name for name in ("precision", "recall") for f in FEATURES if measure(HOLDOUT)[f][name] < TARGET]
    assert run.returncode == (1 if below or KNOWN_BELOW else 0), run.stderr
