from django.contrib.auth.decorators import login_not_required
from django.urls import path

from ipt.scheduling.views import appointments, availability, calendar

urlpatterns = [
    path("schedule/", appointments.schedule, name="schedule"),
    path("schedule/availability/", availability.availability, name="availability"),
    path(
        "courses/<uuid:course_id>/appointments/", appointments.course_appointments, name="course_appointments"
    ),
    path("appointments/<uuid:appointment_id>/", appointments.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<uuid:appointment_id>/cancel/",
        appointments.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<uuid:appointment_id>/reschedule/",
        appointments.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<uuid:appointment_id>/noshow/",
        appointments.appointment_noshow,
        name="appointment_noshow",
    ),
    path("my/appointments/", appointments.my_appointments, name="my_appointments"),
    path("my/appointments/book/", appointments.my_appointment_book, name="my_appointment_book"),
    path("calendar/", calendar.calendar_settings, name="calendar_settings"),
    # Public: the unguessable token in the URL is the credential (calendar apps cannot sign in).
    path("calendar/feed/<str:token>.ics", login_not_required(calendar.calendar_feed), name="calendar_feed"),
]
