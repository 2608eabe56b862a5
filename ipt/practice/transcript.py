"""The analyser's words marked in a text, and a role-play transcript as rows for a page.

Shared by the feedback page, the patient's conversation, the therapist's review and the
pre-session summary.
"""

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from ipt.practice import roleplay
from ipt.practice.communication import FEATURES, Analysis, Finding
from ipt.practice.models import RolePlaySession, RolePlayTurn


def highlight(analysis: Analysis) -> SafeString:
    """The text with every reacted-to span in a <mark>; each piece of user text is escaped."""
    text = analysis.text
    marks: list[tuple[int, int, str, str]] = []
    for finding in analysis.findings:
        for start, end in finding.spans:
            marks.append((start, end, finding.kind, finding.label))
    marks.sort()
    pieces: list[SafeString] = []
    position = 0
    for start, end, kind, label in marks:
        if start < position:  # overlapping spans: the first one wins
            continue
        pieces.append(escape(text[position:start]))
        pieces.append(
            format_html(
                '<mark class="cf-{}" title="{}">{}<span class="sr-only"> ({})</span></mark>',
                kind,
                label,
                text[start:end],
                label,
            )
        )
        position = end
    pieces.append(escape(text[position:]))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


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
