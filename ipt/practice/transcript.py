"""A role-play transcript as rows for a page: the patient's lines with the analyser's words marked.

Shared by the patient's conversation, the therapist's review and the pre-session summary.
"""

from django.utils.safestring import SafeString

from ipt.practice import roleplay
from ipt.practice.communication import FEATURES, Analysis, Finding
from ipt.practice.models import RolePlaySession, RolePlayTurn
from ipt.practice.views.feedback import highlight


def highlighted(turn: RolePlayTurn) -> SafeString:
    findings = [
        Finding(
            feature=f["feature"],
            label=f["label"],
            kind=f["kind"],
            spans=[(int(a), int(b)) for a, b in f["spans"]],
            explanation="",
        )
        for f in (turn.feedback or {}).get("findings", [])
    ]
    return highlight(Analysis(text=turn.text, findings=findings))


def turn_rows(session: RolePlaySession, scenario: roleplay.Scenario) -> list[dict]:
    rows = []
    for turn in session.turns.all():
        feedback = turn.feedback or {}
        if turn.speaker == "patient":
            plays_other = feedback.get("role") == "other"
            who = f"You (as {scenario.other_name})" if plays_other else "You"
            html = highlighted(turn)
        else:
            model = feedback.get("stance") == "model"
            who = "You, as the app plays it" if model else scenario.other_name
            html = None
        rows.append(
            {
                "turn": turn,
                "who": who,
                "html": html,
                "stance": roleplay.STANCE_LABELS.get(feedback.get("stance", ""), ""),
                "model": feedback.get("stance") == "model",
                "feature_labels": [FEATURES.get(f, f) for f in turn.features or []],
            }
        )
    return rows
