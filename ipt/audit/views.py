from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ipt.accounts.decorators import role_required
from ipt.accounts.models import Role
from ipt.audit.access import audit_events_for
from ipt.audit.actions import record
from ipt.audit.forms import AuditSearchForm

PAGE_SIZE = 50


@require_GET
@role_required(Role.SUPERVISOR, Role.ADMIN)
def audit_search(request):
    form = AuditSearchForm(request.GET or None)
    events = audit_events_for(request.user).select_related("actor", "patient")
    if form.is_valid():
        criteria = form.cleaned_data
        if criteria["actor"]:
            events = events.filter(actor_email__icontains=criteria["actor"])
        if criteria["action"]:
            events = events.filter(action__startswith=criteria["action"])
        if criteria["since"]:
            events = events.filter(at__date__gte=criteria["since"])
        if criteria["until"]:
            events = events.filter(at__date__lte=criteria["until"])
    page = Paginator(events.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    record(actor=request.user, action="audit.search", request=request)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/search.html", context, status=400 if form.errors else 200)
