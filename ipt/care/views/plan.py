"""Placeholder: being written."""

from django.http import Http404


def problem_areas(request, **kwargs):
    raise Http404


def problem_area_detail(request, **kwargs):
    raise Http404


def formulation(request, **kwargs):
    raise Http404


def contract(request, **kwargs):
    raise Http404


def termination(request, **kwargs):
    raise Http404


def my_formulation(request, **kwargs):
    raise Http404


def my_contract(request, **kwargs):
    raise Http404


def my_termination(request, **kwargs):
    raise Http404
