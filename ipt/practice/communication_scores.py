"""Precision and recall of the communication analyser per feature on a labelled set.

One definition for the test (``test_communication_dataset``) and the benchmark script
(``bench/communication_feedback.py``), so the two cannot disagree. Pure Python, no Django.
"""

import json
from pathlib import Path

from ipt.practice.communication import FEATURES, analyse

DATA = Path(__file__).resolve().parent / "data"
LABELLED = DATA / "communication_examples.json"
HOLDOUT = DATA / "communication_holdout.json"
TARGET = 0.85


def load(path: Path = LABELLED) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def scores(examples: list[dict]) -> dict[str, dict]:
    """Per feature: tp, fp, fn, precision, recall and the misclassified sentences."""
    result = {f: {"tp": 0, "fp_text": [], "fn_text": []} for f in FEATURES}
    for example in examples:
        found, expected = analyse(example["text"]).features, set(example["features"])
        for feature, row in result.items():
            if feature in found and feature in expected:
                row["tp"] += 1
            elif feature in found:
                row["fp_text"].append(example["text"])
            elif feature in expected:
                row["fn_text"].append(example["text"])
    for row in result.values():
        row["fp"], row["fn"] = len(row["fp_text"]), len(row["fn_text"])
        row["precision"] = row["tp"] / (row["tp"] + row["fp"]) if row["tp"] + row["fp"] else 1.0
        row["recall"] = row["tp"] / (row["tp"] + row["fn"]) if row["tp"] + row["fn"] else 1.0
    return result
