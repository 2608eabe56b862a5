"""The telehealth consent: the patient reads and signs the current version; admins publish versions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.lib.forms import posted
from ipt.telehealth.consent_actions import publish_consent_document, sign_consent
from ipt.telehealth.forms import ConsentDocumentForm, ConsentSignForm
from ipt.telehealth.models import ConsentDocument, ConsentSignature
from ipt.telehealth.readiness import current_consent_document


def local_path(target: str, request) -> str:
    """``target`` when it is a path on this site (never another host or scheme), else ""."""
    if not target.startswith("/") or target.startswith("//"):
        return ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None, require_https=request.is_secure()):
        return ""
    return target


def safe_next(request) -> str:
    return local_path(request.POST.get("next") or request.GET.get("next") or "", request)


def refuse(form, error: ValidationError) -> list[str]:
    """Put an action's refusal on the fields it names; the rest is said above the form."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    general = []
    for field, field_messages in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, field_messages)
        else:
            general.extend(field_messages)
    return general


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def my_consent(request):
    """The patient's telehealth consent: read and sign the current version, or see when they did."""
    document = current_consent_document()
    next_url = safe_next(request)
    signature = (
        ConsentSignature.objects.filter(document=document, patient=request.user).first() if document else None
    )
    form, problems = None, []
    if document is not None and signature is None:
        form = ConsentSignForm(posted(request))
        if request.method == "POST" and form.is_valid():
            if str(request.POST.get("version")) != str(document.version):
                problems = ["A new version was published while you were reading. Please read it, then sign."]
            else:
                try:
                    sign_consent(
                        actor=request.user,
                        document=document,
                        typed_name=form.cleaned_data["typed_name"],
                        request=request,
                    )
                except ValidationError as error:
                    problems = refuse(form, error)
                else:
                    messages.success(
                        request, f"Thank you. You signed version {document.version} of the consent."
                    )
                    return redirect(next_url or reverse("my_telehealth_consent"))
    elif request.method == "POST" and document is not None:
        return redirect(next_url or reverse("my_telehealth_consent"))
    earlier = (
        ConsentSignature.objects.filter(patient=request.user)
        .exclude(document=document)
        .select_related("document")
        .order_by("-document__version")
    )
    return render(
        request,
        "telehealth/my_consent.html",
        {
            "document": document,
            "sections": _sections(document.body) if document else [],
            "signature": signature,
            "earlier": earlier,
            "form": form,
            "problems": problems,
            "next_url": next_url,
        },
        status=400 if problems or (form is not None and form.errors) else 200,
    )


HEADING_MAX_CHARS = 60


def _sections(body: str) -> list[dict]:
    """Blocks separated by blank lines; a block's short first line without a full stop is its heading."""
    sections = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        heading = ""
        if len(lines) > 1 and len(lines[0]) <= HEADING_MAX_CHARS and lines[0][-1] not in ".:;!?,":
            heading, lines = lines[0], lines[1:]
        sections.append({"heading": heading, "paragraphs": lines})
    return sections


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def consent_documents(request):
    """Every version with how many patients signed it; publishing a new one asks everyone again."""
    form = ConsentDocumentForm(posted(request))
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            document = publish_consent_document(
                actor=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                request=request,
            )
        except ValidationError as error:
            problems = refuse(form, error)
        else:
            messages.success(
                request,
                f"Version {document.version} is published. Patients will be asked to sign it before "
                "their next video session.",
            )
            return redirect("consent_documents")
    current = current_consent_document()
    documents = ConsentDocument.objects.annotate(signature_count=Count("signatures")).order_by("-version")
    if request.method == "GET" and current is not None:
        form = ConsentDocumentForm(initial={"title": current.title, "body": current.body})
    return render(
        request,
        "telehealth/consent_documents.html",
        {"documents": documents, "current": current, "form": form, "problems": problems},
        status=400 if problems or form.errors else 200,
    )
