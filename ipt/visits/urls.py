from django.urls import path

from ipt.visits import views

urlpatterns = [
    path("courses/<uuid:course_id>/sessions/", views.sessions, name="course_sessions"),
    path("courses/<uuid:course_id>/sessions/<uuid:encounter_id>/note/", views.note, name="session_note"),
    path(
        "courses/<uuid:course_id>/sessions/<uuid:encounter_id>/note/autosave",
        views.autosave,
        name="session_note_autosave",
    ),
    path(
        "courses/<uuid:course_id>/sessions/<uuid:encounter_id>/note/sign",
        views.sign,
        name="session_note_sign",
    ),
    path(
        "courses/<uuid:course_id>/sessions/<uuid:encounter_id>/note/addendum",
        views.addendum,
        name="session_note_addendum",
    ),
    path("courses/<uuid:course_id>/homework/", views.homework, name="course_homework"),
    path("my/todos/", views.my_todos, name="my_todos"),
    path("my/todos/<uuid:task_id>/", views.my_todo, name="my_todo"),
    path("my/sessions/", views.my_sessions, name="my_sessions"),
]
