"""The live socket. It authenticates before accepting, joins only the groups
the user may see, and never writes to the database.

The hot path is `live_event`: the frame was serialised once by
`events.broadcast`, so the consumer only forwards the text.
"""

from __future__ import annotations

import asyncio
import functools

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from agencies.selectors import actor_for_user
from dispatch import events


def still_allowed(scope, user_id: int, role: str | None, agency_code: str | None) -> bool:
    """Whether the socket's credentials still stand: its token (unexpired, not revoked, same password)
    or its session (not logged out, same password, not idle past the role's limit), and the same
    role and agency it joined with. The consumer asks this every LIVE_RECHECK_SECONDS."""
    import time

    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.crypto import constant_time_compare

    from dispatch.accounts import INTERACTIVE_KEY, LAST_ACTIVITY_KEY, idle_seconds_for
    from dispatch.models import ApiToken
    from dispatch.tokens import token_is_valid

    token_id = getattr(scope.get("user"), "api_token_id", None)
    if token_id is not None:
        token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
        if token is None or not token_is_valid(token):
            return False
        user = token.user
    else:
        session = scope.get("session")
        key = getattr(session, "session_key", None)
        if not key:
            return False
        fresh = session.__class__(key)
        data = fresh.load()
        if str(data.get(SESSION_KEY)) != str(user_id):
            return False
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None or not user.is_active:
            return False
        if not constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
            return False
        if data.get(INTERACTIVE_KEY):
            last = data.get(LAST_ACTIVITY_KEY, time.time())
            if time.time() - last > idle_seconds_for(user):
                return False
    actor = actor_for_user(user)
    return actor.role == role and actor.agency_code == agency_code


def _session_second_factor_ok(scope) -> bool:
    """Supervisors' interactive sessions must have passed TOTP, as on every HTTP page."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from dispatch.accounts import INTERACTIVE_KEY

    session = scope.get("session")
    if session is None or not session.get(INTERACTIVE_KEY):
        return True
    return bool(session.get(DEVICE_ID_SESSION_KEY))


def _is_wall_display(scope) -> bool:
    """A session opened by a wall display's one-time link, of a device not revoked."""
    from displays.selectors import SESSION_KEY, wall_device_for_user

    session = scope.get("session")
    if session is None or session.get(SESSION_KEY) is None:
        return False
    device = wall_device_for_user(scope.get("user"))
    return device is not None and device.pk == session.get(SESSION_KEY)


class LiveConsumer(AsyncWebsocketConsumer):
    groups_joined: list[str]
    scope_agency: str | None

    async def __call__(self, scope, receive, send):
        """Channels' consumer loop with one waiting task per source instead of one per message.

        Channels waits on the socket and the channel layer together by starting a new task
        for each message and an `asyncio.wait` over both: with 200 sockets every event cost
        200 tasks and waits. Here each source has one task that reads and dispatches its
        messages in order. The channel's task starts once the socket's connect handler has
        run, so no event can be sent before the socket is accepted and greeted; after that
        the two sources are handled side by side (a ping's answer does not wait for frames).
        """
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is None:
            await super().__call__(scope, receive, send)
            return
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        try:
            await self._serve(receive)
        except StopConsumer:
            pass

    async def _serve(self, receive):
        async def pump(source):
            while True:
                await self.dispatch(await source())

        message = await receive()
        await self.dispatch(message)  # websocket.connect, alone; raises StopConsumer if the socket went away
        tasks = [asyncio.ensure_future(pump(receive)), asyncio.ensure_future(pump(self.channel_receive))]
        if getattr(self, "joined_as", None) is not None:
            tasks.append(asyncio.ensure_future(self._recheck_forever()))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # StopConsumer after a disconnect, or the handler's error
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _recheck_forever(self):
        """Close the socket once its session or token no longer stands (idle timeout, expiry, a revocation
        whose close message was lost). The explicit close messages are the fast path; this is the net."""
        from django.conf import settings

        interval = settings.LIVE_RECHECK_SECONDS
        while True:
            await asyncio.sleep(interval)
            user_id, role, agency_code = self.joined_as
            if not await database_sync_to_async(still_allowed)(self.scope, user_id, role, agency_code):
                await self.close(code=4401)
                return  # the socket's disconnect then ends the consumer

    async def connect(self):
        self.joined_as = None
        self.groups_joined = []
        self.scope_agency = None
        user = self.scope.get("user")
        actor = await database_sync_to_async(actor_for_user)(user)
        if actor.is_supervisor and not await database_sync_to_async(_session_second_factor_ok)(self.scope):
            await self.close(code=4403)
            return
        if actor.on_floor:
            groups = [events.FLOOR_GROUP]
        elif actor.is_agency_staff and actor.agency_code:
            groups = [events.agency_group(actor.agency_code)]
            self.scope_agency = actor.agency_code
        elif await database_sync_to_async(_is_wall_display)(self.scope):
            # A wall display reads what the floor sees; the socket never writes.
            groups = [events.FLOOR_GROUP]
        else:
            await self.close(code=4403)
            return
        groups += [events.EVERYONE_GROUP, events.user_group(user.pk)]  # disaster mode reaches every socket
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
        except Exception:
            # Redis unreachable: refuse the socket (the page shows the banner and retries) rather
            # than accept one that would silently miss events; leave no member behind.
            await self._leave_groups()
            await self.close(code=1011)
            return
        await self.accept()
        self.joined_as = (user.pk, actor.role, actor.agency_code)
        # Read after joining: an event committed meanwhile is either counted here or forwarded next.
        last = await database_sync_to_async(events.last_seq)(agency_code=self.scope_agency)
        await self.send(text_data=f'{{"type":"hello","seq":{last},"role":"{actor.role}"}}')

    async def disconnect(self, code):
        await self._leave_groups()

    async def _leave_groups(self):
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # noqa: BLE001 - the socket is gone either way
                pass
        self.groups_joined = []

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "ping":
            # The newest seq this user may see: a client behind it missed a broadcast and resyncs.
            last = await database_sync_to_async(events.last_seq)(agency_code=self.scope_agency)
            await self.send(text_data=f'{{"type":"pong","seq":{last}}}')

    async def dispatch(self, message):
        # Channels runs close_old_connections() before every handler, through sync_to_async: a hop to
        # the one thread that also runs every synchronous view, so each frame would wait behind
        # whatever request holds that thread. Forwarding a frame touches no database; skip it there.
        if message["type"] == events.SOCKET_MESSAGE_TYPE:
            await self.live_event(message)
        else:
            await super().dispatch(message)

    async def live_event(self, message):
        await self.send(text_data=message["text"])

    async def live_close(self, message):
        await self.close(code=4401)
