"""Schemas of the stateless scoring API (instruments and scores)."""

from typing import Any

from ninja import Schema
from pydantic import Field


class OptionOut(Schema):
    value: int
    label: str


class ItemOut(Schema):
    number: int
    text: str
    scored: bool
    options: list[OptionOut]


class InstrumentOut(Schema):
    code: str
    title: str
    item_count: int
    minimum: int
    maximum: int
    caseness: int | None
    reliable_change: int | None
    loinc_panel: str
    loinc_total: str
    clinic_supplied: bool
    items: list[ItemOut]


class AnswersIn(Schema):
    # Any JSON value is accepted here so that the scorer, not the parser, says which item is wrong.
    answers: list[Any] = Field(
        description="One answer per item in form order: the chosen option's value, or null if missing."
    )


class ScoreOut(Schema):
    code: str
    total: int | None
    severity: str
    subscales: dict[str, int]
    flags: list[str]
    notes: list[str]
    details: dict[str, Any]


class ScoringErrorOut(Schema):
    """A scoring error (detail, item, allowed), or a body that does not parse (detail lists the fields)."""

    detail: str | list[Any]
    item: int | None = None
    allowed: list[int] = []


class NotFoundOut(Schema):
    detail: str
