from django.urls import path

from ipt.accounts.consumers import CareTeamPresenceConsumer, NotificationConsumer
from ipt.messaging.consumers import ThreadConsumer
from ipt.telehealth.consumers import CallConsumer, LobbyConsumer, WaitingRoomConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/care-teams/<uuid:care_team_id>/presence/", CareTeamPresenceConsumer.as_asgi()),
    path("ws/waiting-room/", LobbyConsumer.as_asgi()),
    path("ws/appointments/<uuid:appointment_id>/waiting/", WaitingRoomConsumer.as_asgi()),
    path("ws/appointments/<uuid:appointment_id>/call/", CallConsumer.as_asgi()),
    path("ws/threads/<uuid:thread_id>/", ThreadConsumer.as_asgi()),
]
