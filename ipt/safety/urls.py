from django.urls import path

from ipt.safety import views

urlpatterns = [
    # Staff: alerts (therapist acknowledges; supervisor reads) and the course's safety plan
    path("alerts/", views.alert_list, name="safety_alerts"),
    path("alerts/<uuid:alert_id>/", views.alert_detail, name="safety_alert"),
    path("courses/<uuid:course_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path(
        "courses/<uuid:course_id>/safety-plan/versions/",
        views.safety_plan_versions,
        name="safety_plan_versions",
    ),
    path(
        "courses/<uuid:course_id>/safety-plan/versions/<int:version>/",
        views.safety_plan_version,
        name="safety_plan_version",
    ),
    # The patient's own safety plan
    path("my/safety-plan/", views.my_safety_plan, name="my_safety_plan"),
    path("my/safety-plan/versions/", views.my_safety_plan_versions, name="my_safety_plan_versions"),
    path(
        "my/safety-plan/versions/<int:version>/", views.my_safety_plan_version, name="my_safety_plan_version"
    ),
    # Practice admins: the crisis-resources table
    path("crisis-lines/", views.crisis_lines, name="crisis_lines"),
    path("crisis-lines/<uuid:line_id>/", views.crisis_line_edit, name="crisis_line"),
]
