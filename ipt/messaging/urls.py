from django.urls import path

from ipt.messaging import views

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/new/", views.new_thread, name="new_thread"),
    path("messages/<uuid:thread_id>/", views.thread_detail, name="thread_detail"),
    path("messages/<uuid:thread_id>/read/", views.thread_read, name="thread_read"),
    path("messages/attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment_download"),
]
