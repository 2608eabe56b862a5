"""Placeholder: being written."""

from django.http import Http404


def sessions(request, **kwargs):
    raise Http404


def note(request, **kwargs):
    raise Http404


def autosave(request, **kwargs):
    raise Http404


def sign(request, **kwargs):
    raise Http404


def addendum(request, **kwargs):
    raise Http404


def homework(request, **kwargs):
    raise Http404


def my_todos(request, **kwargs):
    raise Http404


def my_todo(request, **kwargs):
    raise Http404


def my_sessions(request, **kwargs):
    raise Http404
