"""What every instrument is: items with allowed values, and a pure scoring function.

Scoring follows ../shared/docs/instruments.md exactly; a wrong total is a clinical error.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Answers = Sequence[int | None]


class ScoringError(ValueError):
    """An answer set that cannot be scored; says which item and what is allowed."""

    def __init__(self, message: str, item: int | None = None, allowed: Sequence[int] = ()):
        super().__init__(message)
        self.message, self.item, self.allowed = message, item, list(allowed)


@dataclass(frozen=True)
class Item:
    number: int  # 1-based, as printed on the form
    text: str  # empty for clinic-supplied instruments whose texts we may not ship
    options: tuple[tuple[int, str], ...]  # (value, label)
    scored: bool = True  # e.g. PHQ-9's "how difficult" question is recorded, not scored

    @property
    def values(self) -> list[int]:
        return [value for value, _ in self.options]


@dataclass(frozen=True)
class Score:
    code: str
    total: int | None
    severity: str  # a band label, e.g. "moderate"; "" when the instrument has no bands
    subscales: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # e.g. ["suicidal_ideation"]
    notes: list[str] = field(default_factory=list)  # e.g. "one missing item replaced by the mean"
    details: dict[str, object] = field(default_factory=dict)  # e.g. PCL-5 provisional diagnosis


@dataclass(frozen=True)
class Instrument:
    code: str
    title: str
    items: tuple[Item, ...]
    scorer: Callable[["Instrument", Answers], Score]
    loinc_panel: str = ""
    loinc_total: str = ""
    caseness: int | None = None  # total at or above which a person is a "case"
    reliable_change: int | None = None  # threshold for reliable change
    minimum: int = 0
    maximum: int = 0
    clinic_supplied: bool = False

    def score(self, answers: Answers) -> Score:
        return self.scorer(self, answers)
