from django.urls import path

from ipt.practice.views import summary

urlpatterns = [
    path("courses/<uuid:course_id>/before-session/", summary.course_summary, name="course_summary"),
]
