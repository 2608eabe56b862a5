"""The instrument registry: ``get(code)`` and ``all()``.

Built-in instruments are defined in code; clinic-supplied ones (EPDS, C-SSRS screen) come from the
JSON definition files in ``settings.IPT_INSTRUMENT_DIR``. The registry is built once, on first use;
``reset()`` rebuilds it (after changing settings, e.g. in tests).

Settings read here (all optional):
- ``IPT_INSTRUMENT_DIR``: directory of clinic definition files ("" = none).
- ``IPT_PCL5_CUTOFF``: PCL-5 probable-PTSD cut point (default 31; 31-33 are in use).
- ``IPT_RELIABLE_CHANGE``: per-code reliable-change thresholds overriding the defaults, e.g.
  ``{"gad7": 6}``.
"""

import logging
from dataclasses import replace
from functools import cache
from pathlib import Path

from django.conf import settings

from . import audit, gad, pcl5, pg13r, phq, wsas
from .base import Instrument
from .loader import DefinitionError, load_file

logger = logging.getLogger(__name__)


def _with_threshold(instrument: Instrument, overrides: dict) -> Instrument:
    if instrument.code not in overrides:
        return instrument
    return replace(instrument, reliable_change=overrides[instrument.code])


def _builtins() -> list[Instrument]:
    return [
        phq.PHQ9,
        gad.gad7(),
        phq.PHQ2,
        gad.GAD2,
        pcl5.pcl5(cutoff=getattr(settings, "IPT_PCL5_CUTOFF", pcl5.DEFAULT_CUTOFF)),
        audit.AUDIT,
        audit.AUDITC,
        wsas.WSAS,
        pg13r.PG13R,
    ]


def _clinic_supplied(taken: set[str]) -> list[Instrument]:
    directory = getattr(settings, "IPT_INSTRUMENT_DIR", "")
    if not directory:
        return []
    found = []
    for path in sorted(Path(directory).glob("*.json")):
        # A bad file is refused (logged), not fatal: the other instruments keep working.
        try:
            instrument = load_file(path)
        except DefinitionError as error:
            logger.error("Instrument definition refused: %s", error)
            continue
        if instrument.code in taken:
            logger.error(
                "Instrument definition refused: %s: code %r is already in use.", path.name, instrument.code
            )
            continue
        taken.add(instrument.code)
        found.append(instrument)
    return found


@cache
def _registry() -> dict[str, Instrument]:
    overrides = getattr(settings, "IPT_RELIABLE_CHANGE", {}) or {}
    instruments = [_with_threshold(instrument, overrides) for instrument in _builtins()]
    instruments += _clinic_supplied({instrument.code for instrument in instruments})
    return {instrument.code: instrument for instrument in instruments}


def get(code: str) -> Instrument:
    """The instrument with this code; KeyError if there is none."""
    return _registry()[code]


def all() -> list[Instrument]:
    return list(_registry().values())


def reset() -> None:
    _registry.cache_clear()
