"""Placeholder: emails and reminders after booking changes (replaced by the calendar work)."""


def appointments_booked(appointments) -> None:
    pass


def appointment_cancelled(appointment) -> None:
    pass


def appointment_rescheduled(old, new) -> None:
    pass
