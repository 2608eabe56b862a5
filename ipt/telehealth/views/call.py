"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def waiting_room(request, **kwargs):
    raise Http404("Not built yet.")


def admit(request, **kwargs):
    raise Http404("Not built yet.")


def video_call(request, **kwargs):
    raise Http404("Not built yet.")


def end_call(request, **kwargs):
    raise Http404("Not built yet.")
