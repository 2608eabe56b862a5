"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def my_diary(request, **kwargs):
    raise Http404("Not built yet.")


def my_diary_day(request, **kwargs):
    raise Http404("Not built yet.")


def my_mood_chart(request, **kwargs):
    raise Http404("Not built yet.")


def course_diary(request, **kwargs):
    raise Http404("Not built yet.")


def course_mood_chart(request, **kwargs):
    raise Http404("Not built yet.")
