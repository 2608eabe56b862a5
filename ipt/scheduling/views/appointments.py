"""Placeholder: replaced by the module that builds these pages."""

from django.http import Http404


def schedule(request, **kwargs):
    raise Http404("Not built yet.")


def course_appointments(request, **kwargs):
    raise Http404("Not built yet.")


def appointment_detail(request, **kwargs):
    raise Http404("Not built yet.")


def appointment_cancel(request, **kwargs):
    raise Http404("Not built yet.")


def appointment_reschedule(request, **kwargs):
    raise Http404("Not built yet.")


def appointment_noshow(request, **kwargs):
    raise Http404("Not built yet.")


def my_appointments(request, **kwargs):
    raise Http404("Not built yet.")


def my_appointment_book(request, **kwargs):
    raise Http404("Not built yet.")
