from django.urls import path

from ipt.measures import views

urlpatterns = [
    # Staff (therapist writes; supervisor reads)
    path("courses/<uuid:course_id>/measures/", views.course_measures, name="course_measures"),
    path(
        "courses/<uuid:course_id>/measures/<uuid:assignment_id>/stop/",
        views.stop_measure,
        name="course_measure_stop",
    ),
    path(
        "courses/<uuid:course_id>/measures/<uuid:assignment_id>/remind/",
        views.remind_measure,
        name="course_measure_remind",
    ),
    # The chart image (staff and the course's patient)
    path(
        "courses/<uuid:course_id>/measures/<slug:code>.svg", views.measure_chart, name="course_measure_chart"
    ),
    # Patient
    path("my/questionnaires/", views.my_questionnaires, name="my_questionnaires"),
    path(
        "my/questionnaires/start/<uuid:assignment_id>/",
        views.start_questionnaire,
        name="my_questionnaire_start",
    ),
    path("my/questionnaires/<uuid:response_id>/", views.my_questionnaire, name="my_questionnaire"),
    path(
        "my/questionnaires/<uuid:response_id>/answers",
        views.autosave_answers,
        name="my_questionnaire_autosave",
    ),
    path(
        "my/questionnaires/<uuid:response_id>/result/",
        views.my_questionnaire_result,
        name="my_questionnaire_result",
    ),
]
