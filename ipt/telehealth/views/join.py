"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def device_check(request, **kwargs):
    raise Http404("Not built yet.")


def join_session(request, **kwargs):
    raise Http404("Not built yet.")
