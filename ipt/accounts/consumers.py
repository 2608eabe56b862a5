"""Websockets of the accounts app: a personal notification feed and care-team presence."""

from typing import Annotated, Literal

from channels.db import database_sync_to_async
from django.http import Http404
from pydantic import BaseModel, Field

from ipt.accounts import access
from ipt.accounts.realtime import SecureConsumer


class Ping(BaseModel):
    type: Literal["ping"]
    id: int | None = None


class NotificationConsumer(SecureConsumer):
    """Wakes a signed-in user's pages when something for them changes (any role)."""

    incoming = Annotated[Ping, Field(discriminator="type")]

    async def handle(self, message: Ping) -> None:
        await self.send_json({"type": "pong", "id": message.id})

    async def notify(self, event):
        await self.send_json({"type": "notification", "kind": event.get("kind", "")})


class CareTeamPresenceConsumer(SecureConsumer):
    """Who of a care team has the patient's pages open (the patient, therapist or supervisor)."""

    incoming = Annotated[Ping, Field(discriminator="type")]

    async def authorize(self) -> bool:
        care_team_id = self.scope["url_route"]["kwargs"]["care_team_id"]
        try:
            self.team = await database_sync_to_async(access.get_care_team_for)(self.user, care_team_id)
        except Http404:
            return False
        return True

    @property
    def team_group(self) -> str:
        return f"care_team.{self.team.pk}"

    async def on_connect(self) -> None:
        await self.join(self.team_group)
        await self._announce(online=True)

    async def on_disconnect(self) -> None:
        await self._announce(online=False)

    async def _announce(self, online: bool) -> None:
        await self.channel_layer.group_send(
            self.team_group, {"type": "presence", "role": self.user.role, "online": online}
        )

    async def handle(self, message: Ping) -> None:
        await self.send_json({"type": "pong", "id": message.id})

    async def presence(self, event):
        await self.send_json({"type": "presence", "role": event["role"], "online": event["online"]})
