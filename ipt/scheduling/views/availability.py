"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def availability(request, **kwargs):
    raise Http404("Not built yet.")
