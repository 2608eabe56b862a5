from django.urls import path

from ipt.accounts.consumers import CareTeamPresenceConsumer, NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/care-teams/<uuid:care_team_id>/presence/", CareTeamPresenceConsumer.as_asgi()),
]
