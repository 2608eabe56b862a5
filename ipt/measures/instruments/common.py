"""Shared pieces of the instrument definitions: validation of answer sets and severity bands.

Answers are always the *value* of the chosen option (what the option list says), one per item in
form order, or None for a missing answer. Validation is strict because a wrong total is a
clinical error: a bool, a float or a string is not an answer, even if it looks like one.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import cast

from .base import Answers, Instrument, Item, Score, ScoringError

Options = tuple[tuple[int, str], ...]


def _allowed_text(values: Sequence[int]) -> str:
    return ", ".join(str(value) for value in values)


def check_answers(
    instrument: Instrument,
    answers: Answers,
    *,
    may_be_missing: Collection[int] = (),
    optional_trailing: int = 0,
) -> list[int | None]:
    """Return the answers as a list padded to the item count, or raise ScoringError.

    ``may_be_missing``: item numbers that may be None (the caller decides what None means);
    ``optional_trailing``: how many last items may be left out altogether (PHQ-9's 10th question).
    """
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise ScoringError(f"{instrument.title}: answers must be a list, one per item.")
    count = len(instrument.items)
    shortest = count - optional_trailing
    if not shortest <= len(answers) <= count:
        expected = str(count) if shortest == count else f"{shortest} or {count}"
        raise ScoringError(f"{instrument.title} needs {expected} answers, one per item; got {len(answers)}.")
    padded = [*answers, *([None] * (count - len(answers)))]
    for item, answer in zip(instrument.items, padded, strict=True):
        if answer is None:
            if item.number in may_be_missing or item.number > shortest:
                continue
            raise ScoringError(
                f"{instrument.title} item {item.number} is required; "
                f"allowed values are {_allowed_text(item.values)}.",
                item=item.number,
                allowed=item.values,
            )
        check_value(instrument, item, answer)
    return padded


def complete_answers(instrument: Instrument, answers: Answers) -> list[int]:
    """``check_answers`` for instruments whose every item is required: no None can come back."""
    return cast(list[int], check_answers(instrument, answers))


def check_value(instrument: Instrument, item: Item, answer: object, label: str = "") -> None:
    """Raise ScoringError unless ``answer`` is one of the item's option values (``label``: as printed)."""
    if isinstance(answer, bool) or not isinstance(answer, int) or answer not in item.values:
        raise ScoringError(
            f"{instrument.title} item {label or item.number}: {_shown(answer)} is not an allowed "
            f"answer; allowed values are {_allowed_text(item.values)}.",
            item=item.number,
            allowed=item.values,
        )


def _shown(answer: object) -> str:
    """The refused answer as it appears in the message, cut short (it is the caller's own input)."""
    text = repr(answer)
    return text if len(text) <= 20 else text[:17] + "..."


def band(total: int, bands: Sequence[tuple[int, str]]) -> str:
    """The label of the first band whose upper bound (inclusive) is at least ``total``."""
    for upper, label in bands:
        if total <= upper:
            return label
    raise ValueError(f"{total} is above every band")  # a definition error, not a user error


def items(texts: Sequence[str], options: Options, *, first: int = 1) -> tuple[Item, ...]:
    return tuple(Item(number=first + index, text=text, options=options) for index, text in enumerate(texts))


@dataclass(frozen=True)
class ClinicRule:
    """The scoring rule of a licensed instrument whose texts a clinic supplies in a definition file.

    ``option_values``: per item, the option values in the order the form shows them; the loader
    refuses a definition whose options differ (with ``ordered``, in that order too, because for the
    EPDS the order carries the reverse scoring).
    """

    name: str
    title: str
    option_values: tuple[tuple[int, ...], ...]
    scorer: Callable[[Instrument, Answers], Score]
    ordered: bool = True
    item_names: dict[int, str] = field(default_factory=dict)  # how the form prints an item, e.g. "6b"
    loinc_panel: str = ""
    loinc_total: str = ""
    caseness: int | None = None
    minimum: int = 0
    maximum: int = 0

    def instrument(self, *, code: str = "", title: str = "", item_texts=(), option_labels=()) -> Instrument:
        """An Instrument for this rule; without texts, one with empty texts and labels (for tests)."""
        built = []
        for index, values in enumerate(self.option_values):
            labels = option_labels[index] if option_labels else ("",) * len(values)
            built.append(
                Item(
                    number=index + 1,
                    text=item_texts[index] if item_texts else "",
                    options=tuple(zip(values, labels, strict=True)),
                )
            )
        return Instrument(
            code=code or self.name,
            title=title or self.title,
            items=tuple(built),
            scorer=self.scorer,
            loinc_panel=self.loinc_panel,
            loinc_total=self.loinc_total,
            caseness=self.caseness,
            minimum=self.minimum,
            maximum=self.maximum,
            clinic_supplied=True,
        )
