"""Clinic-supplied instruments: read a JSON definition file and pair it with a scoring rule.

The format is documented in docs/instrument-definitions.md. The repository ships the rules (how
answers are scored) but not the licensed item texts; a definition whose items or options do not
fit its rule is refused with a DefinitionError saying what is wrong, because a mismatch would
score answers wrongly.
"""

import json
import re
from pathlib import Path

from . import cssrs, epds
from .base import Instrument
from .common import ClinicRule

RULES: dict[str, ClinicRule] = {rule.name: rule for rule in (epds.RULE, cssrs.RULE)}
FORMAT_VERSION = 1
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
REQUIRED = ("format", "code", "title", "version", "licence", "scoring", "items")


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message names the file and the problem."""


def load_file(path: Path | str) -> Instrument:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DefinitionError(f"{path.name}: not a readable JSON file ({error}).") from error
    return build(data, source=path.name)


def load_directory(directory: Path | str) -> list[Instrument]:
    """Every ``*.json`` definition in ``directory``, sorted by file name; raises on the first bad one."""
    return [load_file(path) for path in sorted(Path(directory).glob("*.json"))]


def _fail(source: str, message: str) -> DefinitionError:
    return DefinitionError(f"{source}: {message}")


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def build(data: object, *, source: str = "definition") -> Instrument:
    if not isinstance(data, dict):
        raise _fail(source, "the file must hold one JSON object.")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise _fail(source, f"missing {', '.join(missing)}.")
    if type(data["format"]) is not int or data["format"] != FORMAT_VERSION:  # not true, not 1.0
        raise _fail(source, f"format must be {FORMAT_VERSION}, not {data['format']!r}.")
    for key in ("title", "version", "licence"):
        if not _text(data[key]):
            raise _fail(source, f"{key} must be a non-empty string.")
    code = data["code"]
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise _fail(source, f"code {code!r} must be lower-case letters, digits and hyphens.")
    rule = RULES.get(data["scoring"]) if isinstance(data["scoring"], str) else None
    if rule is None:
        raise _fail(
            source, f"unknown scoring rule {data['scoring']!r}; known rules: {', '.join(sorted(RULES))}."
        )
    texts, labels = _items(data["items"], rule, source)
    return rule.instrument(code=code, title=data["title"].strip(), item_texts=texts, option_labels=labels)


def _items(items: object, rule: ClinicRule, source: str) -> tuple[list[str], list[tuple[str, ...]]]:
    expected_count = len(rule.option_values)
    if not isinstance(items, list) or len(items) != expected_count:
        count = len(items) if isinstance(items, list) else "no list of"
        raise _fail(source, f"scoring rule {rule.name} needs {expected_count} items; the file has {count}.")
    texts, labels = [], []
    for index, (item, expected) in enumerate(zip(items, rule.option_values, strict=True)):
        number = index + 1
        name = rule.item_names.get(number, str(number))
        where = f"item {name} (position {number})"
        if not isinstance(item, dict) or type(item.get("number")) is not int or item["number"] != number:
            raise _fail(source, f'{where} must be an object with "number": {number}.')
        if not _text(item.get("text")):
            raise _fail(source, f"{where} needs a non-empty text.")
        options = item.get("options")
        if not isinstance(options, list) or not all(
            isinstance(option, dict) and _text(option.get("label")) for option in options
        ):
            raise _fail(
                source, f'{where}: options must be a list of {{"value", "label"}} with non-empty labels.'
            )
        values = [option.get("value") for option in options]
        integers = all(type(value) is int for value in values)  # not a bool, not "1"
        fits = values == list(expected) if rule.ordered else integers and sorted(values) == sorted(expected)
        if not (integers and fits):
            order = "in this order (top of the form first)" if rule.ordered else "in any order"
            raise _fail(
                source,
                f"{where}: option values {values} do not match scoring rule {rule.name}, "
                f"which needs {list(expected)} {order}.",
            )
        texts.append(item["text"].strip())
        by_value = {option["value"]: option["label"].strip() for option in options}
        labels.append(tuple(by_value[value] for value in expected))
    return texts, labels
