"""Questionnaires in the export: FHIR resources and score series for the PDFs.

Only completed responses leave the system (a half-filled form is not a result). Each instrument
used becomes a Questionnaire whose ``code`` is its LOINC panel (with item texts where the licence
lets us ship them); each response a QuestionnaireResponse; each total an Observation with category
``survey``, the LOINC total code, ``valueInteger``, and ``derivedFrom`` the response.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from ipt.accounts.models import User
from ipt.care.access import courses_for
from ipt.care.models import TreatmentCourse
from ipt.measures.instruments import registry
from ipt.measures.instruments.base import Instrument
from ipt.measures.models import QuestionnaireResponse, ResponseStatus

LOINC = "http://loinc.org"
LOCAL_CODES = "urn:ipt:instrument"  # instruments without a LOINC code (wsas, pg13r)
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
QUESTIONNAIRE_URL = "urn:ipt:questionnaire:"


def completed_responses(user: User, courses: Iterable[TreatmentCourse]) -> list[QuestionnaireResponse]:
    """Completed responses of these courses as ``user`` may see them, oldest first (instruments
    the registry no longer knows are left out: they cannot be described)."""
    rows = QuestionnaireResponse.objects.filter(
        course_id__in=[course.pk for course in courses],
        course__in=courses_for(user),
        status=ResponseStatus.COMPLETED,
    ).order_by("submitted_at", "started_at")
    return [row for row in rows if _instrument(row.instrument) is not None]


def _instrument(code: str) -> Instrument | None:
    try:
        return registry.get(code)
    except KeyError:
        return None


def questionnaire_id(code: str) -> str:
    """A FHIR id (letters, digits, '-' and '.') for an instrument code (clinic files name their own)."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", code)[:64]


def _code(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _panel_code(instrument: Instrument) -> dict:
    if instrument.loinc_panel:
        return {"system": LOINC, "code": instrument.loinc_panel, "display": instrument.title}
    return {"system": LOCAL_CODES, "code": instrument.code, "display": instrument.title}


def total_code(instrument: Instrument) -> dict:
    display = f"{instrument.title} total score"
    if instrument.loinc_total:
        return _code(LOINC, instrument.loinc_total, display)
    return _code(LOCAL_CODES, f"{instrument.code}-total", display)


def questionnaire_resource(instrument: Instrument) -> dict:
    items = []
    for item in instrument.items:
        entry: dict = {
            "linkId": str(item.number),
            "type": "choice",
            "answerOption": [
                {"valueCoding": {"code": str(value), "display": label or str(value)}}
                for value, label in item.options
            ],
        }
        if item.text:
            entry["text"] = item.text
        items.append(entry)
    return {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(instrument.code),
        "url": f"{QUESTIONNAIRE_URL}{questionnaire_id(instrument.code)}",
        "name": instrument.code.replace("-", "_").upper(),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "code": [_panel_code(instrument)],
        "item": items,
    }


def response_resource(response: QuestionnaireResponse, instrument: Instrument, patient: dict) -> dict:
    items = []
    labels = {item.number: dict(item.options) for item in instrument.items}
    for item, value in zip(instrument.items, response.answers, strict=False):
        entry: dict = {"linkId": str(item.number)}
        if value is not None:
            label = labels[item.number].get(value) or str(value)
            entry["answer"] = [{"valueCoding": {"code": str(value), "display": label}}]
        items.append(entry)
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "questionnaire": f"{QUESTIONNAIRE_URL}{questionnaire_id(instrument.code)}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient['id']}"},
        "authored": (response.submitted_at or response.updated_at).isoformat(),
        "item": items,
    }
    if response.encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{response.encounter_id}"}
    return resource


def observation_resource(
    response: QuestionnaireResponse, instrument: Instrument, patient: dict, response_resource: dict
) -> dict:
    resource: dict = {
        "resourceType": "Observation",
        "id": f"{response.pk}-total",
        "status": "final",
        "category": [
            {
                "coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}],
                "text": "Survey",
            }
        ],
        "code": total_code(instrument),
        "subject": {"reference": f"Patient/{patient['id']}"},
        "effectiveDateTime": (response.submitted_at or response.updated_at).isoformat(),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_resource['id']}"}],
    }
    if response.total is not None:
        resource["valueInteger"] = response.total
    else:
        resource["valueString"] = response.severity or "no total"
    if response.severity:
        resource["interpretation"] = [{"text": response.severity}]
    if response.encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{response.encounter_id}"}
    return resource


def questionnaire_resources(user: User, courses: list[TreatmentCourse], patient: dict) -> list[dict]:
    """Questionnaires used, then each completed response with its total Observation."""
    responses = completed_responses(user, courses)
    instruments = {code: _instrument(code) for code in dict.fromkeys(row.instrument for row in responses)}
    resources = [questionnaire_resource(instrument) for instrument in instruments.values() if instrument]
    for response in responses:
        instrument = instruments[response.instrument]
        assert instrument is not None
        answers = response_resource(response, instrument, patient)
        resources += [answers, observation_resource(response, instrument, patient, answers)]
    return resources


# Score series for the PDFs -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    day: date
    total: int | None
    severity: str
    session: int | None  # the session number the response belongs to, if any


@dataclass
class Series:
    instrument: Instrument
    rows: list[ScoreRow]

    @property
    def totals(self) -> list[int]:
        return [row.total for row in self.rows if row.total is not None]


def local_day(moment: datetime, user: User) -> date:
    """The date in the viewer's zone (UTC when their zone is unknown)."""
    try:
        zone = ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.localtime(moment, zone).date()


def score_series(user: User, course: TreatmentCourse) -> list[Series]:
    """Per instrument (in the order first used): the course's completed scores, oldest first."""
    by_code: dict[str, Series] = {}
    rows = (
        QuestionnaireResponse.objects.filter(
            course=course, course__in=courses_for(user), status=ResponseStatus.COMPLETED
        )
        .select_related("encounter")
        .order_by("submitted_at", "started_at")
    )
    for response in rows:
        instrument = _instrument(response.instrument)
        if instrument is None:
            continue
        series = by_code.setdefault(instrument.code, Series(instrument, []))
        moment = response.submitted_at or response.updated_at
        number = response.encounter.number if response.encounter is not None else None
        series.rows.append(ScoreRow(local_day(moment, user), response.total, response.severity, number))
    return list(by_code.values())
