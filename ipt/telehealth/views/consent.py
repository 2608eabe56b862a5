"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def my_consent(request, **kwargs):
    raise Http404("Not built yet.")


def consent_documents(request, **kwargs):
    raise Http404("Not built yet.")
