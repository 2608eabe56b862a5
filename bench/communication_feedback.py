"""Communication feedback: precision and recall per feature on the labelled set, and speed.

Usage: .venv/bin/python bench/communication_feedback.py [--errors]

Pure Python (no Django needed). Prints, for the whole labelled set and for each of its splits (all
of them were read while the rules were written or widened), then for the holdout set
(communication_holdout.json: written by a writer who never saw the rules, and never used to change
one), per feature, true/false positives, false negatives, precision and recall next to the target
(>= 0.85), then the analyser's speed in messages per second. With --errors, also lists the sentences
the analyser got wrong for each feature of the labelled set; the holdout's are never listed (a set
whose errors were read is no longer a holdout).
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ipt.practice.communication import analyse  # noqa: E402
from ipt.practice.communication_scores import HOLDOUT, LABELLED, TARGET, load, scores  # noqa: E402


def speed(examples: list[dict], seconds: float = 1.0) -> float:
    texts = [e["text"] for e in examples]
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in texts:
            analyse(text)
        count += len(texts)
    return count / (time.perf_counter() - started)


def report(title: str, examples: list[dict], *, errors: bool = False) -> int:
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
        if errors:
            for text in row["fp_text"]:
                print(f"    false positive: {text}")
            for text in row["fn_text"]:
                print(f"    missed:         {text}")
    return failing


def main() -> int:
    examples = load()["examples"]
    print(f"Labelled set: {LABELLED.relative_to(ROOT)}")
    failing = report("All examples (the test asserts these)", examples, errors="--errors" in sys.argv)
    for split in dict.fromkeys(e["split"] for e in examples):
        report(f"Only split={split}", [e for e in examples if e["split"] == split])
    print(f"\nHoldout set: {HOLDOUT.relative_to(ROOT)}")
    failing += report(
        "Holdout (never used to change a rule; the test asserts these too)", load(HOLDOUT)["examples"]
    )
    rate = speed(examples)
    print(f"\nSpeed: {rate:,.0f} messages/s ({1e6 / rate:.0f} µs per message, one core)")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
