"""API shapes shared by every app's router (django-ninja names a schema after its class, so one
name must mean one shape across the whole API)."""

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """A refusal: a sentence, or ninja's list of invalid fields (``loc``, ``msg``)."""

    detail: str | list[Any]
