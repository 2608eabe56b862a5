"""Starting text for each IPT problem area (the primer's table), which the therapist then edits.

Goals and strategies are written one per line so they read as a list. ``plain`` explains the area
to the patient in everyday words; it is shown on the patient's own course page.
"""

from dataclasses import dataclass

from ipt.care.models import ProblemAreaKind


@dataclass(frozen=True)
class AreaTemplate:
    plain_name: str  # the area's name for the patient
    when: str  # when a clinician chooses this area (shown as help to staff)
    goals: str
    strategies: str
    plain: str  # for the patient


TEMPLATES: dict[str, AreaTemplate] = {
    ProblemAreaKind.GRIEF: AreaTemplate(
        plain_name="Grief after a death",
        when="Depression following the death of someone significant (complicated or prolonged mourning).",
        goals="\n".join(
            [
                "Help the mourning process.",
                "Rebuild interests and relationships that can fill the gap.",
            ]
        ),
        strategies="\n".join(
            [
                "Reconstruct the relationship with the person who died, the good and the bad.",
                "Go over the events around the death.",
                "Explore feelings that were not expressed.",
            ]
        ),
        plain=(
            "Someone important to you has died. Together we make room to grieve: to remember the "
            "relationship as it really was, to say what was left unsaid, and, step by step, to find "
            "people and things that can fill some of the gap."
        ),
    ),
    ProblemAreaKind.ROLE_DISPUTE: AreaTemplate(
        plain_name="A disagreement with someone important to you",
        when="Non-reciprocal expectations with a significant other (partner, parent, boss).",
        goals="\n".join(
            [
                "Identify the dispute.",
                "Choose a plan of action.",
                "Change expectations or faulty communication so that the dispute resolves.",
            ]
        ),
        strategies="\n".join(
            [
                "Decide the dispute's stage: renegotiation, impasse or dissolution.",
                "Communication analysis of real conversations.",
                "Role-play of hard conversations.",
                "Decision analysis: the options and their consequences.",
            ]
        ),
        plain=(
            "You and someone important to you want different things from each other, and it hurts. "
            "Together we look at what each of you expects, how you talk about it, and what you can "
            "try so that things get better between you, or so that you can decide what to do."
        ),
    ),
    ProblemAreaKind.ROLE_TRANSITION: AreaTemplate(
        plain_name="A change in your life",
        when="A change of life role: divorce, new parent, job loss, retirement, moving, illness.",
        goals="\n".join(
            [
                "Mourn and accept the loss of the old role.",
                "See the new role more positively.",
                "Gain mastery and self-esteem in the new role.",
            ]
        ),
        strategies="\n".join(
            [
                "Weigh the old role and the new one honestly, the good and the bad.",
                "Build the skills the new role needs.",
                "Find new supports.",
            ]
        ),
        plain=(
            "Your life has changed, and with it your place in it. Together we look honestly at what "
            "you lost and what the new situation offers, and build the skills and support that help "
            "you feel at home in it."
        ),
    ),
    ProblemAreaKind.INTERPERSONAL_DEFICITS: AreaTemplate(
        plain_name="Feeling alone or cut off from people",
        when="Isolation, few or unfulfilling relationships, when no other area fits.",
        goals="\n".join(
            [
                "Reduce isolation.",
                "Start new relationships and keep them going.",
            ]
        ),
        strategies="\n".join(
            [
                "Review past relationships for patterns, good and bad.",
                "Use the therapy relationship as a model.",
                "Practise in role-play, then try it between sessions.",
            ]
        ),
        plain=(
            "You feel alone, or your relationships do not give you what you need. Together we look "
            "at what has helped and what has got in the way before, and practise, safely, ways to "
            "reach out to people and keep in touch."
        ),
    ),
}


def template_for(kind: str) -> AreaTemplate:
    return TEMPLATES[ProblemAreaKind(kind)]
