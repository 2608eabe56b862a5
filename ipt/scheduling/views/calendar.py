"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def calendar_settings(request, **kwargs):
    raise Http404("Not built yet.")


def calendar_feed(request, **kwargs):
    raise Http404("Not built yet.")
