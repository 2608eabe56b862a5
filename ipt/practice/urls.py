from django.urls import path

from ipt.practice.views import diary, feedback, lessons, roleplay, summary

urlpatterns = [
    path("my/diary/", diary.my_diary, name="my_diary"),
    path("my/diary/<str:day>/", diary.my_diary_day, name="my_diary_day"),
    path("my/diary/chart/mood.svg", diary.my_mood_chart, name="my_mood_chart"),
    path("courses/<uuid:course_id>/diary/", diary.course_diary, name="course_diary"),
    path("courses/<uuid:course_id>/diary/mood.svg", diary.course_mood_chart, name="course_mood_chart"),
    path("my/practice/feedback/", feedback.my_feedback, name="my_communication_feedback"),
    path("my/lessons/", lessons.my_lessons, name="my_lessons"),
    path("my/lessons/<slug:lesson>/", lessons.my_lesson, name="my_lesson"),
    path("courses/<uuid:course_id>/lessons/", lessons.course_lessons, name="course_lessons"),
    path("courses/<uuid:course_id>/before-session/", summary.course_summary, name="course_summary"),
    path("my/practice/role-play/", roleplay.my_roleplay, name="my_roleplay"),
    path(
        "my/practice/role-play/<uuid:session_id>/", roleplay.my_roleplay_session, name="my_roleplay_session"
    ),
    path("courses/<uuid:course_id>/role-play/", roleplay.course_roleplay, name="course_roleplay"),
]
