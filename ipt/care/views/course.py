"""Placeholder: being written."""

from django.http import Http404


def start_course(request, **kwargs):
    raise Http404


def overview(request, **kwargs):
    raise Http404


def edit_details(request, **kwargs):
    raise Http404


def change_status(request, **kwargs):
    raise Http404


def fidelity(request, **kwargs):
    raise Http404


def my_course(request, **kwargs):
    raise Http404
