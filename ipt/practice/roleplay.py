"""Role-play practice: a library of scenarios and the simulated other person's reply engine.

The other person's *stance* moves with how the patient communicates, read from the
communication analyser's features (``ipt.practice.communication``):

- blame, generalisation, insult or sarcasm -> ``defensive``
- withdrawal ("whatever", "forget it") -> ``confused`` (they push for what is wrong)
- a hint or an unstated expectation -> ``missing`` (they miss the point)
- an *I* statement and a clear request -> ``agrees`` (open, and agrees to something concrete)
- one good move on its own (an *I* statement, a request, acknowledging their view, a specific
  situation) -> ``open``
- nothing either way -> ``neutral``

Replies are chosen deterministically from the scenario's reply bank for that stance, seeded by
the session id and the turn number, so the same transcript always gets the same replies.

With roles swapped the patient plays the other person, and the engine speaks the patient's part,
modelling good communication (lines written to show the moves the analyser looks for).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from ipt.practice import roleplay_generic as generic
from ipt.practice.communication import Analysis

PROBLEM_AREAS = {
    "role_dispute": "Role dispute",
    "role_transition": "Role transition",
    "grief": "Grief",
    "interpersonal_deficits": "Interpersonal deficits / sensitivity",
}
STANCES = ("neutral", "defensive", "confused", "missing", "open", "agrees")
STANCE_LABELS = {
    "neutral": "listening",
    "defensive": "defensive",
    "confused": "confused",
    "missing": "missing the point",
    "open": "more open",
    "agrees": "open, and agreeing to something",
}
DEFENSIVE_FEATURES = {"blame_you_accusation", "generalisation", "insult_sarcasm"}
GOOD_FEATURES = {"i_statement_feeling", "clear_request", "acknowledge_other_view", "specific_situation"}


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    problem_area: str
    other_name: str
    other_role: str
    character: str
    situation: str
    goal: str
    opening: str
    replies: dict[str, tuple[str, ...]]
    model_lines: tuple[str, ...]
    custom: bool = False
    likely_reactions: str = ""
    inventory_person_id: str | None = field(default=None, compare=False)

    @property
    def problem_area_label(self) -> str:
        return PROBLEM_AREAS.get(self.problem_area, self.problem_area)


LIBRARY: tuple[Scenario, ...] = (
    Scenario(
        slug="partner-share-the-load",
        title="Asking your partner to share the load",
        problem_area="role_dispute",
        other_name="Sam",
        other_role="your partner",
        character=(
            "Sam works long hours and feels they already do their part. Sam gets prickly when "
            "criticised, but listens when they hear how you feel and what exactly you would like."
        ),
        situation=(
            "You do most of the cooking and cleaning on weekdays and you are worn out. You are still "
            "talking about it (renegotiation), but the last two talks ended in an argument."
        ),
        goal="Ask Sam, without blaming, to take on one concrete job on weekdays.",
        opening="You said you wanted to talk about the housework? I'm pretty tired, but go on.",
        replies={
            "neutral": (
                "Okay... I'm listening. What is it you'd like?",
                "Right. So what are you actually asking me?",
            ),
            "defensive": (
                "That's not fair. I work all day too, you know. I do plenty around here.",
                "Here we go again. Why is it always me who's the problem?",
                "I'm not going to be talked to like that. I do my share.",
            ),
            "confused": (
                "Wait, don't just drop it. What's actually wrong?",
                "You brought it up. I can tell something's bothering you, so tell me.",
            ),
            "missing": (
                "Hm? Yeah, it would be nice if the place were tidier. Anyway, what's for dinner?",
                "I suppose. I'm not sure what you mean, though.",
            ),
            "open": (
                "I didn't realise it was getting to you that much. What would help?",
                "Okay, I hear you. I'm tired too, but I don't want you to feel like that.",
            ),
            "agrees": (
                "That's fair. I can do the cooking on Tuesdays and Thursdays. Shall we try it this week?",
                "Okay, I'll take that on from this week. Tell me if it's not working.",
            ),
        },
        model_lines=(
            "I feel worn out when I cook and clean every weekday evening on my own.",
            "I know you work long hours too, and I appreciate what you do at weekends.",
            "Could you cook on Tuesdays and Thursdays, starting this week?",
            "Thank you. Could we check on Sunday how it went?",
        ),
    ),
    Scenario(
        slug="manager-new-role",
        title="Telling your manager about the new role's demands",
        problem_area="role_transition",
        other_name="Alex",
        other_role="your manager",
        character=(
            "Alex is busy and results-minded. Alex shuts down at complaints, but respects a clear "
            "account of the problem and a concrete proposal."
        ),
        situation=(
            "You were promoted to team lead two months ago. You kept your old work as well as the "
            "new, and you are struggling to keep up."
        ),
        goal="Tell Alex how the new role is going and ask for one concrete change to your workload.",
        opening="You booked fifteen minutes with me. What's on your mind?",
        replies={
            "neutral": ("Okay. What would you like from me?", "Go on. What's the issue, concretely?"),
            "defensive": (
                "Everyone's stretched right now. I'm not sure complaining helps.",
                "That's a bit much. I gave you this role because I thought you could handle it.",
                "I don't think that's a fair description of how this team is run.",
            ),
            "confused": (
                "Hang on, you asked for this meeting. What's going on?",
                "If something's wrong I need to know what it is.",
            ),
            "missing": (
                "Sure, it's a busy time for all of us. Was there anything else?",
                "I suppose things will settle down. Anything specific?",
            ),
            "open": (
                "Thanks for telling me. I hadn't realised you were still doing your old work too.",
                "Okay, that's useful to know. What would make the biggest difference?",
            ),
            "agrees": (
                "That makes sense. Let's hand the weekly reports to Jo from next Monday.",
                "Okay, agreed: you drop the old reports, and we review it together in a month.",
            ),
        },
        model_lines=(
            "I'd like to talk about how the new role is going. I'm glad you gave me this chance.",
            "I feel stretched: I'm still doing my old weekly reports as well as leading the team.",
            "I know the team is busy, so I've thought about a solution.",
            "Could the weekly reports move to someone else from next month?",
        ),
    ),
    Scenario(
        slug="family-after-a-death",
        title="Talking to family about someone who died",
        problem_area="grief",
        other_name="Chris",
        other_role="your brother or sister",
        character=(
            "Chris copes by keeping busy and avoiding the subject of Mum's death. Chris becomes "
            "guarded when they feel judged, and warm when you share your own feelings."
        ),
        situation=(
            "Your mother died six months ago. The family hardly mentions her, and you feel alone "
            "with the grief. You would like to be able to talk about her together."
        ),
        goal="Tell Chris you miss Mum and ask to remember her together, for example on her birthday.",
        opening="Hi. You sounded serious on the phone. Is everything okay?",
        replies={
            "neutral": ("I'm here. What did you want to say?", "Okay... go on."),
            "defensive": (
                "That's not fair. I'm dealing with it my own way.",
                "Don't tell me how I should grieve. I think about her all the time.",
                "I'm not going to argue about Mum with you.",
            ),
            "confused": (
                "Don't do that. You called me. What's wrong?",
                "I can tell something's up. Please just say it.",
            ),
            "missing": (
                "Yeah, it's been a strange year. How's work, anyway?",
                "Mm. Shall we get lunch sometime?",
            ),
            "open": (
                "I miss her too. I just don't know how to talk about it.",
                "I didn't know you felt so alone with it. I'm sorry.",
            ),
            "agrees": (
                "I'd like that. Let's go to her favourite café on her birthday and talk about her.",
                "Yes. Let's look through the photos together on Sunday.",
            ),
        },
        model_lines=(
            "I've been missing Mum a lot lately, and I feel lonely with it.",
            "I know you keep busy, and maybe that's how you cope.",
            "Could we meet on her birthday next month and talk about her?",
            "Thank you. It means a lot to me.",
        ),
    ),
    Scenario(
        slug="reaching-out-old-friend",
        title="Reaching out to an old friend",
        problem_area="interpersonal_deficits",
        other_name="Jamie",
        other_role="an old friend",
        character=(
            "Jamie is friendly but unsure why you went quiet. Jamie pulls back if you sound "
            "reproachful, and is glad to meet if you are warm and suggest something specific."
        ),
        situation=(
            "You and Jamie were close at college but have not spoken for two years. You would like "
            "more people in your life and have decided to get back in touch."
        ),
        goal="Say you have missed Jamie and suggest one specific plan to meet.",
        opening="Oh! Hi, it's been ages. How are you?",
        replies={
            "neutral": ("Good to hear from you. What have you been up to?", "Ha, okay. So what's new?"),
            "defensive": (
                "Well, you could have called me too, you know.",
                "That's a bit harsh. I did try to stay in touch.",
                "Okay... I'm not sure what you want me to say to that.",
            ),
            "confused": (
                "Oh, don't go. You called for a reason, didn't you?",
                "Is everything alright? You can tell me.",
            ),
            "missing": (
                "Yeah, we should catch up sometime. Anyway, I'd better go.",
                "Sure, sometime. Nice of you to call!",
            ),
            "open": (
                "I've missed you too, honestly. I wondered what happened.",
                "That's really nice to hear. I'd like to be back in touch.",
            ),
            "agrees": (
                "I'd love that. Saturday morning works. The café by the park?",
                "Yes! Let's do it. Send me a time and I'll be there.",
            ),
        },
        model_lines=(
            "Hi Jamie, it's been too long. I've missed you, and I feel bad I went quiet.",
            "I understand if it felt strange that I disappeared.",
            "Would you like to meet for coffee on Saturday morning?",
            "Great, I'm really glad. See you on Saturday.",
        ),
    ),
)
BY_SLUG = {scenario.slug: scenario for scenario in LIBRARY}
BY_AREA = {scenario.problem_area: scenario for scenario in LIBRARY}


def library_scenario(slug: str) -> Scenario | None:
    return BY_SLUG.get(slug)


def from_model(model) -> Scenario:
    """A therapist's scenario (``RolePlayScenario``): their words, with replies that fit anyone in the area."""
    base = BY_AREA.get(model.problem_area, LIBRARY[0])
    person = model.other_person
    name = (person.name if person is not None else model.other_name) or "the other person"
    return replace(
        base,
        replies=generic.REPLIES[base.problem_area],
        model_lines=tuple(line.format(name=name) for line in generic.MODEL_LINES[base.problem_area]),
        slug=str(model.pk),
        title=model.title,
        other_name=name,
        other_role=person.get_relation_display().lower() if person is not None else "",
        character=model.likely_reactions or base.character,
        likely_reactions=model.likely_reactions,
        situation=model.situation,
        goal=model.patient_goal,
        opening="You wanted to talk?",
        custom=True,
        inventory_person_id=str(person.pk) if person is not None else None,
    )


def stance_for(features: set[str] | list[str]) -> str:
    """How the other person takes a line with these analyser features."""
    found = set(features)
    if found & DEFENSIVE_FEATURES:
        return "defensive"
    if "withdrawal" in found:
        return "confused"
    if found & {"hint", "unstated_expectation"}:
        return "missing"
    if {"i_statement_feeling", "clear_request"} <= found:
        return "agrees"
    if found & GOOD_FEATURES:
        return "open"
    return "neutral"


def _pick(options: tuple[str, ...], seed: str, number: int) -> str:
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


@dataclass(frozen=True)
class Reply:
    text: str
    stance: str


def reply(scenario: Scenario, analysis: Analysis, *, seed: str, number: int) -> Reply:
    """The other person's answer to the patient's line (the patient plays themselves)."""
    stance = stance_for(analysis.features)
    return Reply(_pick(scenario.replies[stance], seed, number), stance)


def model_line(scenario: Scenario, engine_turns_so_far: int) -> Reply:
    """With roles swapped: the patient's part, spoken well, one line after another."""
    lines = scenario.model_lines
    return Reply(lines[min(engine_turns_so_far, len(lines) - 1)], "model")
