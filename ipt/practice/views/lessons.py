"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def my_lessons(request, **kwargs):
    raise Http404("Not built yet.")


def my_lesson(request, **kwargs):
    raise Http404("Not built yet.")


def course_lessons(request, **kwargs):
    raise Http404("Not built yet.")
