"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def my_feedback(request, **kwargs):
    raise Http404("Not built yet.")
