"""Placeholder: being written."""

from django.http import Http404


def inventory(request, **kwargs):
    raise Http404


def inventory_person(request, **kwargs):
    raise Http404


def circle(request, **kwargs):
    raise Http404


def circle_svg(request, **kwargs):
    raise Http404


def timeline(request, **kwargs):
    raise Http404


def timeline_svg(request, **kwargs):
    raise Http404


def my_inventory(request, **kwargs):
    raise Http404


def my_inventory_person(request, **kwargs):
    raise Http404


def my_circle(request, **kwargs):
    raise Http404


def my_timeline(request, **kwargs):
    raise Http404
