"""Communication feedback for the patient: analyse a message they mean to say. Nothing is stored."""

from django.shortcuts import render
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.practice.communication import Analysis, analyse

MAX_CHARS = 2000


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


@role_required(Role.PATIENT)
def my_feedback(request):
    text, error, analysis, highlighted = "", None, None, None
    if request.method == "POST":
        text = request.POST.get("text", "")
        if not text.strip():
            error = "Please write what you would like to say, then press the button."
        elif len(text) > MAX_CHARS:
            error = f"That is {len(text)} characters; please keep it to {MAX_CHARS} or fewer."
        else:
            analysis = analyse(text)
            highlighted = highlight(analysis)
    return render(
        request,
        "practice/feedback.html",
        {
            "text": text,
            "error": error,
            "analysis": analysis,
            "highlighted": highlighted,
            "max_chars": MAX_CHARS,
        },
    )
