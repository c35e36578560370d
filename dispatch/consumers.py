"""The live socket. It authenticates before accepting, joins only the groups
the user may see, and never writes to the database."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from agencies.selectors import actor_for_user
from dispatch import events


class LiveConsumer(AsyncWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self):
        self.groups_joined = []
        user = self.scope.get("user")
        actor = await database_sync_to_async(actor_for_user)(user)
        if actor.on_floor:
            groups = [events.FLOOR_GROUP]
        elif actor.is_agency_staff and actor.agency_code:
            groups = [events.agency_group(actor.agency_code)]
        else:
            await self.close(code=4403)
            return
        groups.append(events.user_group(user.pk))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()
        last = await database_sync_to_async(events.last_seq)()
        await self.send(text_data=f'{{"type":"hello","seq":{last},"role":"{actor.role}"}}')

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "ping":
            await self.send(text_data='{"type":"pong"}')

    async def live_event(self, message):
        await self.send(text_data=message["text"])

    async def live_close(self, message):
        await self.close(code=4401)
