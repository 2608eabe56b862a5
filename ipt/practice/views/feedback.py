"""Communication feedback for the patient: analyse a message they mean to say. Nothing is stored."""

from django.shortcuts import render

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.practice.communication import analyse
from ipt.practice.transcript import highlight

MAX_CHARS = 2000


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
