"""Communication feedback: precision and recall per feature on the labelled set, and speed.

Usage: .venv/bin/python bench/communication_feedback.py [--errors]

Pure Python (no Django needed). Prints, for the whole set and for each split (development,
revision, revision_2: looked at while writing the rules, together "training"; blind: written
afterwards, never used to change a rule), then for the separate holdout set
(communication_holdout.json: written before the rules were broadened to generalise, never used to
change a rule), per feature, true/false positives, false negatives, precision and recall next to
the target (>= 0.85), then the analyser's speed in messages per second. With --errors, also lists
the sentences the analyser got wrong for each feature (looking at the blind split's or the
holdout's errors spends them: a set whose errors were read is no longer blind).
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ipt.practice.communication import FEATURES, analyse  # noqa: E402

DATASET = ROOT / "ipt" / "practice" / "data" / "communication_examples.json"
HOLDOUT = ROOT / "ipt" / "practice" / "data" / "communication_holdout.json"
TRAINING = ("development", "revision", "revision_2")
TARGET = 0.85


def load(path: Path = DATASET) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["examples"]


def scores(examples: list[dict]) -> dict[str, dict]:
    """Per feature: tp, fp, fn, precision, recall and the misclassified sentences."""
    result = {f: {"tp": 0, "fp": 0, "fn": 0, "fp_text": [], "fn_text": []} for f in FEATURES}
    for example in examples:
        found = analyse(example["text"]).features
        expected = set(example["features"])
        for feature, row in result.items():
            if feature in found and feature in expected:
                row["tp"] += 1
            elif feature in found:
                row["fp"] += 1
                row["fp_text"].append(example["text"])
            elif feature in expected:
                row["fn"] += 1
                row["fn_text"].append(example["text"])
    for row in result.values():
        row["precision"] = row["tp"] / (row["tp"] + row["fp"]) if row["tp"] + row["fp"] else 1.0
        row["recall"] = row["tp"] / (row["tp"] + row["fn"]) if row["tp"] + row["fn"] else 1.0
    return result


def speed(examples: list[dict], seconds: float = 1.0) -> float:
    texts = [e["text"] for e in examples]
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in texts:
            analyse(text)
        count += len(texts)
    return count / (time.perf_counter() - started)


def report(title: str, examples: list[dict]) -> int:
    """Print the table for these examples; return how many features miss the target."""
    result = scores(examples)
    print(f"\n{title}: {len(examples)} sentences")
    print(f"{'feature':26} {'pos':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}  target")
    failing = 0
    for feature, row in result.items():
        ok = row["precision"] >= TARGET and row["recall"] >= TARGET
        failing += not ok
        print(
            f"{feature:26} {row['tp'] + row['fn']:>4} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4} "
            f"{row['precision']:>9.2f} {row['recall']:>7.2f}  >= {TARGET} {'ok' if ok else 'BELOW'}"
        )
        if "--errors" in sys.argv:
            for text in row["fp_text"]:
                print(f"    false positive: {text}")
            for text in row["fn_text"]:
                print(f"    missed:         {text}")
    return failing


def main() -> int:
    examples = load()
    print(f"Labelled set: {DATASET.relative_to(ROOT)}")
    failing = report("All examples (the test asserts these)", examples)
    for split in (*TRAINING, "blind"):
        report(f"Only split={split}", [e for e in examples if e.get("split") == split])
    report(
        "Training (development + revision + revision_2)", [e for e in examples if e.get("split") in TRAINING]
    )
    holdout = load(HOLDOUT)
    print(f"\nHoldout set: {HOLDOUT.relative_to(ROOT)}")
    report("New holdout (never used to change a rule)", holdout)
    rate = speed(examples)
    print(f"\nSpeed: {rate:,.0f} messages/s ({1e6 / rate:.0f} µs per message, one core)")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
