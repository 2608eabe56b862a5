"""Crisis resources: which lines to show for where someone is.

``crisis_lines_for(country, region)`` gives the country's crisis lines (region-specific first),
then its emergency number, then the fallback ("your local emergency number"). Countries offered to
the public come from the table itself, so a practice admin adding a row adds the country.
"""

import importlib

from ipt.safety.models import CrisisLine, CrisisLineKind, SafetyPlanVersion

# Names for the codes we seed; any other code in the table is shown by its code.
COUNTRY_NAMES = {
    "AT": "Austria",
    "AU": "Australia",
    "BE": "Belgium",
    "CA": "Canada",
    "DE": "Germany",
    "DK": "Denmark",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "IT": "Italy",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "SE": "Sweden",
    "US": "United States",
}
# Shown when we do not know where someone is (the common ones first).
COMMON_COUNTRIES = ["US", "GB", "IE", "CA", "AU"]


def country_choices() -> list[tuple[str, str]]:
    """The whitelist of countries: those with a row in the table, by name."""
    codes = set(CrisisLine.objects.exclude(country="").values_list("country", flat=True))
    return sorted(((code, COUNTRY_NAMES.get(code, code)) for code in codes), key=lambda choice: choice[1])


def clean_country(value) -> str | None:
    """A country code from untrusted input, or None if it is not in the table."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        return None
    return code if CrisisLine.objects.filter(country=code).exists() else None


def clean_region(country: str | None, value) -> str:
    if not country or not isinstance(value, str) or not value.strip():
        return ""
    region = value.strip()
    known = CrisisLine.objects.filter(country=country, region__iexact=region).values_list("region", flat=True)
    return known.first() or ""


def crisis_lines_for(country: str | None, region: str | None = None) -> list[CrisisLine]:
    """The country's crisis lines (its region's first), then its emergency number, then the fallback."""
    lines: list[CrisisLine] = []
    if country:
        country = country.upper()
        rows = CrisisLine.objects.filter(country=country)
        crisis = [
            line for line in rows.filter(kind=CrisisLineKind.CRISIS) if line.region in ("", region or "")
        ]
        crisis.sort(key=lambda line: (line.region == "", line.priority, line.name))
        lines += crisis
        lines += list(rows.filter(kind=CrisisLineKind.EMERGENCY).order_by("priority", "name"))
    lines += fallback_lines()
    return lines


def common_crisis_lines() -> list[dict]:
    """Grouped by country, for when we do not know where someone is."""
    groups = []
    for code in COMMON_COUNTRIES:
        lines = list(CrisisLine.objects.filter(country=code, kind=CrisisLineKind.CRISIS, region=""))
        if lines:
            groups.append({"code": code, "name": COUNTRY_NAMES.get(code, code), "lines": lines})
    return groups


def fallback_lines() -> list[CrisisLine]:
    """Never nothing: if the table has no fallback row, a built-in one (not saved)."""
    lines = list(CrisisLine.objects.filter(kind=CrisisLineKind.FALLBACK).order_by("priority", "name"))
    return lines or [
        CrisisLine(
            kind=CrisisLineKind.FALLBACK,
            name="Your local emergency number",
            notes="Call your local emergency number or go to the nearest emergency department.",
        )
    ]


def ensure_default_crisis_lines() -> None:
    """Seed the defaults into an empty table (for tests after a transactional test's flush)."""
    if not CrisisLine.objects.exists():
        from django.apps import apps

        seed = importlib.import_module("ipt.safety.migrations.0003_seed_crisis_lines").seed
        seed(apps, None)


def country_of_patient(user) -> str | None:
    """Where a patient last said they are (None if unknown): the country on their latest safety
    plan or the one they confirmed when joining a video session, whichever is more recent (a
    country without lines of its own gives None: the common lines and the local emergency number)."""
    if not getattr(user, "is_authenticated", False) or user.role != "patient":
        return None
    from ipt.telehealth.models import LocationCheck

    said = []
    plan = (
        SafetyPlanVersion.objects.filter(course__care_team__patient=user)
        .exclude(country="")
        .order_by("-created_at")
        .values_list("created_at", "country")
        .first()
    )
    if plan:
        said.append(plan)
    check = (
        LocationCheck.objects.filter(appointment__patient=user)
        .exclude(country="")
        .order_by("-confirmed_at")
        .values_list("confirmed_at", "country")
        .first()
    )
    if check:
        said.append(check)
    if not said:
        return None
    # The latest only: an older answer from another country would show the wrong lines.
    return clean_country(max(said)[1])


def crisis_context(country=None, region=None) -> dict:
    """What a page needs to show crisis lines: for a known country its lines, else the common ones."""
    code = clean_country(country)
    region_name = clean_region(code, region)
    lines = crisis_lines_for(code, region_name) if code else []
    return {
        "crisis_country": code,
        "crisis_country_name": COUNTRY_NAMES.get(code, code) if code else None,
        "crisis_region": region_name,
        "crisis_lines": lines,
        "crisis_first": next((line for line in lines if line.kind == CrisisLineKind.CRISIS), None),
        "crisis_emergency": next((line for line in lines if line.kind == CrisisLineKind.EMERGENCY), None),
        "crisis_common": [] if code else common_crisis_lines(),
        "crisis_fallback": [] if code else fallback_lines(),
        "crisis_countries": country_choices(),
    }


def crisis_panel_context(user, country=None) -> dict:
    """For the flagged-questionnaire result page: lines for where the patient is.

    Include ``safety/_crisis_panel.html`` with this context.
    """
    return crisis_context(country or country_of_patient(user))
