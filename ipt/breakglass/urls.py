from django.urls import path

from ipt.breakglass import views

urlpatterns = [
    path("emergency-access/", views.open_access, name="break_glass_open"),
    path("emergency-access/reviews/", views.review_list, name="break_glass_reviews"),
    path("emergency-access/reviews/<uuid:grant_id>/", views.review, name="break_glass_review"),
    path("emergency-access/<uuid:grant_id>/", views.summary, name="break_glass_summary"),
]
