"""The stateless scoring API: list the instruments, score an answer set. Nothing is stored."""

from dataclasses import asdict

from django.http import Http404
from ninja import Router, Status

from ipt.measures.instruments import registry
from ipt.measures.instruments.base import Instrument, ScoringError
from ipt.measures.schemas import AnswersIn, InstrumentOut, NotFoundOut, ScoreOut, ScoringErrorOut

router = Router(tags=["instruments"])


def _describe(instrument: Instrument) -> dict:
    return {
        "code": instrument.code,
        "title": instrument.title,
        "item_count": len(instrument.items),
        "minimum": instrument.minimum,
        "maximum": instrument.maximum,
        "caseness": instrument.caseness,
        "reliable_change": instrument.reliable_change,
        "loinc_panel": instrument.loinc_panel,
        "loinc_total": instrument.loinc_total,
        "clinic_supplied": instrument.clinic_supplied,
        "items": [
            {
                "number": item.number,
                "text": item.text,
                "scored": item.scored,
                "options": [{"value": value, "label": label} for value, label in item.options],
            }
            for item in instrument.items
        ],
    }


@router.get("/instruments", response=list[InstrumentOut], summary="The instruments, with items and options")
def list_instruments(request):
    return [_describe(instrument) for instrument in registry.all()]


@router.post(
    "/instruments/{code}/score",
    response={200: ScoreOut, 404: NotFoundOut, 422: ScoringErrorOut},
    summary="Score an answer set (stateless: nothing is stored)",
)
def score(request, code: str, payload: AnswersIn):
    try:
        instrument = registry.get(code)
    except KeyError:
        raise Http404 from None
    try:
        result = instrument.score(payload.answers)
    except ScoringError as error:
        return Status(422, {"detail": error.message, "item": error.item, "allowed": error.allowed})
    return Status(200, asdict(result))
