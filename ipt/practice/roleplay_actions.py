"""Role-play writes: the patient rehearses on their own course; the therapist writes scenarios.

Every write runs in one transaction and is audited; audit details hold ids, numbers and feature
ids, never the words said.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt.accounts.models import User
from ipt.audit.actions import record
from ipt.care.access import require_patient, require_therapist
from ipt.care.models import InventoryPerson, TreatmentCourse
from ipt.practice import roleplay
from ipt.practice.communication import analyse
from ipt.practice.models import RolePlayScenario, RolePlaySession, RolePlayTurn

TURN_MAX = 1000
MAX_TURNS = 80
TITLE_MAX = 120
TEXT_MAX = 2000
NAME_MAX = 100


@dataclass(frozen=True)
class TurnResult:
    mine: RolePlayTurn
    reply: RolePlayTurn


def scenario_of(session: RolePlaySession) -> roleplay.Scenario:
    if session.scenario_id is not None and session.scenario is not None:
        return roleplay.from_model(session.scenario)
    scenario = roleplay.library_scenario(session.scenario_slug)
    if scenario is None:
        raise ValidationError("This role-play's scenario is no longer available.")
    return scenario


def _next_number(session: RolePlaySession) -> int:
    last = session.turns.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _engine_turn(session: RolePlaySession, number: int, text: str, stance: str) -> RolePlayTurn:
    return RolePlayTurn.objects.create(
        session=session, number=number, speaker="other", text=text, feedback={"stance": stance}
    )


def _check_active(session: RolePlaySession) -> None:
    if session.finished_at is not None:
        raise ValidationError("This role-play is finished. Start a new one to practise again.")
    if not session.course.is_active:
        raise ValidationError("This course has ended, so role-plays can no longer be changed.")


def start_session(
    *,
    actor: User,
    course: TreatmentCourse,
    scenario_slug: str = "",
    scenario: RolePlayScenario | None = None,
    patient_plays: str = "self",
    request=None,
) -> RolePlaySession:
    require_patient(actor, course)
    if not course.is_active:
        raise ValidationError("This course has ended, so new role-plays cannot be started.")
    if patient_plays not in ("self", "other"):
        raise ValidationError("Choose whether you play yourself or the other person.")
    if scenario is not None:
        if scenario.course_id != course.pk:
            raise ValidationError("Choose one of the scenarios on this page.")
        scenario_slug = ""
    elif roleplay.library_scenario(scenario_slug) is None:
        raise ValidationError("Choose one of the scenarios on this page.")
    with transaction.atomic():
        session = RolePlaySession.objects.create(
            course=course, scenario_slug=scenario_slug, scenario=scenario, patient_plays=patient_plays
        )
        story = scenario_of(session)
        if patient_plays == "self":
            _engine_turn(session, 1, story.opening, "neutral")
        else:
            line = roleplay.model_line(story, 0)
            _engine_turn(session, 1, line.text, line.stance)
        record(
            actor=actor,
            action="practice.roleplay.start",
            target=session,
            patient=course.care_team.patient,
            request=request,
            detail={
                "scenario": scenario_slug or str(scenario.pk if scenario else ""),
                "plays": patient_plays,
            },
        )
    return session


def take_turn(*, actor: User, session: RolePlaySession, text: str, request=None) -> TurnResult:
    """Store the patient's line with the analyser's features and feedback, then the reply."""
    require_patient(actor, session.course)
    _check_active(session)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write what you would say, then press Say it."})
    if len(text) > TURN_MAX:
        raise ValidationError(
            {"text": f"That is {len(text)} characters; please keep it to {TURN_MAX} or fewer."}
        )
    scenario = scenario_of(session)
    analysis = analyse(text)
    with transaction.atomic():
        locked = RolePlaySession.objects.select_for_update().get(pk=session.pk)
        number = _next_number(locked)
        if number > MAX_TURNS:
            raise ValidationError("This role-play is long enough. Finish it and start a new one.")
        data = analysis.as_dict()
        mine = RolePlayTurn.objects.create(
            session=locked,
            number=number,
            speaker="patient",
            text=text,
            features=data["features"],
            feedback={
                "role": locked.patient_plays,
                "strengths": data["strengths"],
                "suggestions": data["suggestions"],
                "findings": [
                    {"feature": f["feature"], "kind": f["kind"], "label": f["label"], "spans": f["spans"]}
                    for f in data["findings"]
                ],
            },
        )
        if locked.patient_plays == "self":
            answer = roleplay.reply(scenario, analysis, seed=str(locked.pk), number=number)
        else:
            done = locked.turns.filter(speaker="other", feedback__stance="model").count()
            answer = roleplay.model_line(scenario, done)
        other = _engine_turn(locked, number + 1, answer.text, answer.stance)
        record(
            actor=actor,
            action="practice.roleplay.turn",
            target=locked,
            patient=locked.course.care_team.patient,
            request=request,
            detail={"number": number, "features": data["features"], "stance": answer.stance},
        )
    return TurnResult(mine, other)


def swap_roles(*, actor: User, session: RolePlaySession, request=None) -> RolePlaySession:
    """The patient now plays the other side; the engine takes the part they left."""
    require_patient(actor, session.course)
    _check_active(session)
    scenario = scenario_of(session)
    with transaction.atomic():
        locked = RolePlaySession.objects.select_for_update().get(pk=session.pk)
        locked.patient_plays = "other" if locked.patient_plays == "self" else "self"
        locked.save(update_fields=["patient_plays"])
        number = _next_number(locked)
        if locked.patient_plays == "other":
            done = locked.turns.filter(speaker="other", feedback__stance="model").count()
            line = roleplay.model_line(scenario, done)
            _engine_turn(locked, number, line.text, line.stance)
        else:
            _engine_turn(locked, number, scenario.opening, "neutral")
        record(
            actor=actor,
            action="practice.roleplay.swap",
            target=locked,
            patient=locked.course.care_team.patient,
            request=request,
            detail={"plays": locked.patient_plays},
        )
    return locked


def finish_session(*, actor: User, session: RolePlaySession, request=None) -> RolePlaySession:
    require_patient(actor, session.course)
    if session.finished_at is not None:
        return session
    with transaction.atomic():
        session.finished_at = timezone.now()
        session.save(update_fields=["finished_at"])
        record(
            actor=actor,
            action="practice.roleplay.finish",
            target=session,
            patient=session.course.care_team.patient,
            request=request,
            detail={"turns": session.turns.count()},
        )
    return session


def create_scenario(
    *,
    actor: User,
    course: TreatmentCourse,
    title: str,
    problem_area: str,
    other_person: InventoryPerson | None = None,
    other_name: str = "",
    situation: str = "",
    likely_reactions: str = "",
    patient_goal: str = "",
    request=None,
) -> RolePlayScenario:
    require_therapist(actor, course)
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    other_name = " ".join((other_name or "").split())
    if not title:
        errors["title"] = "Give the scenario a short title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters."
    if problem_area not in roleplay.PROBLEM_AREAS:
        errors["problem_area"] = "Choose one of the four problem areas."
    if other_person is not None and (other_person.course_id != course.pk or other_person.is_removed):
        errors["other_person"] = "Choose someone from this patient's interpersonal inventory."
    if other_person is None and not other_name:
        errors["other_person"] = "Choose someone from the inventory or write the other person's name."
    if len(other_name) > NAME_MAX:
        errors["other_name"] = f"Keep the name under {NAME_MAX} characters."
    for name, value in (
        ("situation", situation),
        ("likely_reactions", likely_reactions),
        ("patient_goal", patient_goal),
    ):
        if len(value or "") > TEXT_MAX:
            errors[name] = f"Keep this under {TEXT_MAX} characters."
    if not (patient_goal or "").strip():
        errors["patient_goal"] = "Write the patient's goal for this conversation."
    texts = {"title": title, "other_name": other_name, "situation": situation}
    texts |= {"likely_reactions": likely_reactions, "patient_goal": patient_goal}
    for name, value in texts.items():
        if "\x00" in (value or ""):  # PostgreSQL refuses NUL in text; Django's forms refuse it too
            errors[name] = "Null characters are not allowed."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        scenario = RolePlayScenario.objects.create(
            course=course,
            title=title,
            problem_area=problem_area,
            other_person=other_person,
            other_name="" if other_person is not None else other_name,
            situation=situation.strip(),
            likely_reactions=likely_reactions.strip(),
            patient_goal=patient_goal.strip(),
            created_by=actor,
        )
        record(
            actor=actor,
            action="practice.roleplay.scenario_create",
            target=scenario,
            patient=course.care_team.patient,
            request=request,
            detail={"problem_area": problem_area},
        )
    return scenario
