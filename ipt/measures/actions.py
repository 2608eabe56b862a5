"""Assigning questionnaires, saving answers as they are given, and submitting them (scored, audited).

Keyword-only arguments, actor first, one transaction and one audit event per action. Scores come
from the instrument registry only. A suicidal-ideation flag raises the risk alert in the SAME
transaction as the stored response: either both exist or neither does.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_patient, require_therapist
from ipt.care.models import TreatmentCourse
from ipt.measures.instruments import registry
from ipt.measures.instruments.base import ScoringError
from ipt.measures.models import MeasureAssignment, QuestionnaireResponse, ResponseStatus, Schedule
from ipt.safety.actions import raise_risk_alert

SUICIDAL_IDEATION = "suicidal_ideation"
MAX_EVERY_WEEKS = 52


def _instrument(code: str):
    try:
        return registry.get(code)
    except KeyError:
        raise ValidationError({"instrument": "Unknown questionnaire."}) from None


def assign_instrument(
    *,
    actor: User,
    course: TreatmentCourse,
    instrument: str,
    schedule: str,
    every_weeks: int | None = None,
    request=None,
) -> MeasureAssignment:
    require_therapist(actor, course)
    _instrument(instrument)
    if schedule not in Schedule.values:
        raise ValidationError({"schedule": "Choose when the questionnaire is due."})
    if schedule == Schedule.EVERY_N_WEEKS:
        if not every_weeks or not 1 <= every_weeks <= MAX_EVERY_WEEKS:
            raise ValidationError({"every_weeks": f"Give a number of weeks from 1 to {MAX_EVERY_WEEKS}."})
    else:
        every_weeks = None
    with transaction.atomic():
        if MeasureAssignment.objects.filter(course=course, instrument=instrument, is_active=True).exists():
            raise ValidationError({"instrument": "This questionnaire is already assigned; stop it first."})
        assignment = MeasureAssignment.objects.create(
            course=course, instrument=instrument, schedule=schedule, every_weeks=every_weeks, created_by=actor
        )
        record(
            actor=actor,
            action="measure_assignment.create",
            target=assignment,
            patient=course.care_team.patient,
            request=request,
            detail={"instrument": instrument, "schedule": schedule, "every_weeks": every_weeks},
        )
    return assignment


def stop_assignment(*, actor: User, assignment: MeasureAssignment, request=None) -> MeasureAssignment:
    course = assignment.course
    require_therapist(actor, course)
    with transaction.atomic():
        assignment.is_active = False
        assignment.save(update_fields=["is_active"])
        record(
            actor=actor,
            action="measure_assignment.stop",
            target=assignment,
            patient=course.care_team.patient,
            request=request,
            detail={"instrument": assignment.instrument},
        )
    return assignment


def send_reminder(*, actor: User, assignment: MeasureAssignment, request=None) -> None:
    """A content-free email: which questionnaire, or any answer, never goes in it."""
    course = assignment.course
    require_therapist(actor, course)
    patient = course.care_team.patient
    link = settings.SITE_URL + reverse("login") + "?next=" + reverse("my_questionnaires")
    with transaction.atomic():
        assignment.reminded_at = timezone.now()
        assignment.save(update_fields=["reminded_at"])
        record(
            actor=actor,
            action="measure_assignment.remind",
            target=assignment,
            patient=patient,
            request=request,
        )
        transaction.on_commit(
            lambda: send_mail(
                "IPT Online: you have a questionnaire to fill in",
                f"You have a questionnaire to fill in. Please sign in to IPT Online to see it:\n{link}\n",
                None,
                [patient.email],
            )
        )


def start_response(*, actor: User, assignment: MeasureAssignment, request=None) -> QuestionnaireResponse:
    """The patient's unfinished response to this assignment, or a new one."""
    course = assignment.course
    require_patient(actor, course)
    with transaction.atomic():
        draft = (
            QuestionnaireResponse.objects.select_for_update()
            .filter(assignment=assignment, status=ResponseStatus.IN_PROGRESS)
            .order_by("started_at")
            .first()
        )
        if draft is not None:
            return draft
        instrument = _instrument(assignment.instrument)
        response = QuestionnaireResponse.objects.create(
            course=course,
            instrument=assignment.instrument,
            assignment=assignment,
            answers=[None] * len(instrument.items),
        )
        record(
            actor=actor,
            action="questionnaire_response.start",
            target=response,
            patient=course.care_team.patient,
            request=request,
            detail={"instrument": assignment.instrument},
        )
    return response


def _check_answer(instrument, item_number: int, value: int | None) -> None:
    if not 1 <= item_number <= len(instrument.items):
        raise ValidationError(f"There is no question {item_number}.")
    item = instrument.items[item_number - 1]
    if value is not None and value not in item.values:
        raise ScoringError(
            f"Question {item_number}: choose one of the answers given.", item=item_number, allowed=item.values
        )


def save_answers(
    *, actor: User, response: QuestionnaireResponse, answers: dict[int, int | None], request=None
) -> QuestionnaireResponse:
    """Autosave answers ({item number: value}) to an unfinished response. Audited like a note's
    autosave (S2: every write of clinical data), naming the items saved but not the answers."""
    require_patient(actor, response.course)
    instrument = _instrument(response.instrument)
    for item_number, value in answers.items():
        _check_answer(instrument, item_number, value)
    with transaction.atomic():
        locked = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
        if locked.status != ResponseStatus.IN_PROGRESS:
            raise ValidationError("This questionnaire has already been sent.")
        saved = list(locked.answers or [])
        saved += [None] * (len(instrument.items) - len(saved))
        for item_number, value in answers.items():
            saved[item_number - 1] = value
        locked.answers = saved
        locked.updated_at = timezone.now()
        locked.save(update_fields=["answers", "updated_at"])
        record(
            actor=actor,
            action="questionnaire.answers_saved",
            target=locked,
            patient=response.course.care_team.patient,
            request=request,
            detail={"instrument": locked.instrument, "items": sorted(answers)},
        )
    response.answers, response.updated_at = locked.answers, locked.updated_at
    return response


def submit_response(
    *, actor: User, response: QuestionnaireResponse, answers: list[int | None] | None = None, request=None
) -> QuestionnaireResponse:
    """Score and store. ScoringError (naming the item) leaves everything as it was."""
    course = response.course
    require_patient(actor, course)
    instrument = _instrument(response.instrument)
    with transaction.atomic():
        locked = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
        if locked.status != ResponseStatus.IN_PROGRESS:
            raise ValidationError("This questionnaire has already been sent.")
        given = list(answers if answers is not None else locked.answers or [])
        given += [None] * (len(instrument.items) - len(given))
        for number, value in enumerate(given, start=1):
            _check_answer(instrument, number, value)
        score = instrument.score(given)  # raises ScoringError before anything is written
        now = timezone.now()
        locked.answers = given
        locked.total = score.total
        locked.severity = score.severity or ""
        locked.subscales = dict(score.subscales)
        locked.flags = list(score.flags)
        locked.status = ResponseStatus.COMPLETED
        locked.submitted_at = now
        locked.updated_at = now
        locked.submitted_by = actor
        locked.save()
        record(
            actor=actor,
            action="questionnaire_response.submit",
            target=locked,
            patient=course.care_team.patient,
            request=request,
            detail={"instrument": locked.instrument, "flagged": bool(locked.flags)},
        )
        if SUICIDAL_IDEATION in locked.flags:
            raise_risk_alert(
                actor=actor,
                course=course,
                reason=SUICIDAL_IDEATION,
                source=f"{locked.instrument} response {locked.pk}",
                request=request,
            )
    return locked
