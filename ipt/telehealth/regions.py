"""Countries and their regions (ISO 3166-1 and ISO 3166-2, from pycountry) for the location check.

A patient picks their country, then a region from the country's top-level subdivisions (a state,
province, or England/Scotland/Wales/Northern Ireland): that is the level at which therapists are
licensed. Any subdivision code of the country is accepted, since ISO 3166-2 nests some regions
inside others ("GB-KEC" is in "GB-ENG").
"""

import functools
import re

import pycountry

# pycountry sometimes appends other names in brackets: "Wales [Cymru GB-CYM]".
_BRACKETED = re.compile(r"\s*\[.*?\]\s*$")


def _clean(name: str) -> str:
    return _BRACKETED.sub("", name).strip()


@functools.cache
def _countries() -> dict[str, str]:
    return {
        country.alpha_2: _clean(getattr(country, "common_name", None) or country.name)
        for country in pycountry.countries
    }


@functools.cache
def _subdivisions(country_code: str) -> dict[str, tuple[str, str | None]]:
    """code -> (name, parent code) for every subdivision of the country."""
    found = pycountry.subdivisions.get(country_code=country_code) or []
    return {sub.code: (_clean(sub.name), sub.parent_code) for sub in found}


def country_choices() -> list[tuple[str, str]]:
    """(alpha-2, name) for every country, by name."""
    return sorted(_countries().items(), key=lambda item: item[1].casefold())


def is_country(code: str) -> bool:
    return code in _countries()


def country_name(code: str) -> str:
    return _countries().get(code, code)


def region_choices(country_code: str) -> list[tuple[str, str]]:
    """(ISO 3166-2 code, name) of the country's top-level subdivisions, by name."""
    if not is_country(country_code):
        return []
    regions = [(code, name) for code, (name, parent) in _subdivisions(country_code).items() if parent is None]
    return sorted(regions, key=lambda item: item[1].casefold())


def has_regions(country_code: str) -> bool:
    return bool(region_choices(country_code))


def is_region_of(region_code: str, country_code: str) -> bool:
    return is_country(country_code) and region_code in _subdivisions(country_code)


def country_of(region_code: str) -> str:
    return region_code.split("-", 1)[0]


def region_name(region_code: str) -> str:
    entry = _subdivisions(country_of(region_code)).get(region_code)
    return entry[0] if entry else region_code


def enclosing_codes(country_code: str, region_code: str = "") -> list[str]:
    """The jurisdictions a place lies in, innermost first: the region, its parents, the country."""
    codes = []
    subdivisions = _subdivisions(country_code) if is_country(country_code) else {}
    current: str | None = region_code or None
    while current and current in subdivisions and current not in codes:
        codes.append(current)
        current = subdivisions[current][1]
    codes.append(country_code)
    return codes


def is_covered(licensed_codes: list[str], country_code: str, region_code: str = "") -> bool:
    """Whether a licence covers this place: a country code covers all its regions; a region code
    covers that region (and the subdivisions ISO 3166-2 places inside it), not its neighbours."""
    licensed = {code.strip().upper() for code in licensed_codes}
    return any(code in licensed for code in enclosing_codes(country_code, region_code))
