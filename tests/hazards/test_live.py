"""disaster.* reach every socket, agencies included, on the real ASGI application."""

from __future__ import annotations

import json

import pytest
import time_machine
from asgiref.sync import sync_to_async

from dispatch import events
from hazards import services
from tests.dispatch.test_consumers import WAIT, open_socket, session_headers
from tests.hazards.conftest import FIXTURE_NOW, fixture_bytes

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_every_event_type_has_a_schema_and_the_disaster_payload_conforms(ref, feed_user):
    for event_type in (events.DISASTER_STARTED, events.DISASTER_UPDATED, events.DISASTER_ENDED):
        assert event_type in events.EVENT_TYPES and event_type in events.EVENT_SCHEMAS
    with time_machine.travel(FIXTURE_NOW, tick=True):
        services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    from dispatch.models import Event

    stored = Event.objects.get(type="disaster.started")
    assert events.payload_problems(stored.type, stored.data) == []


async def _frames_until(communicator, wanted: str) -> dict:
    while True:
        frame = json.loads(await communicator.receive_from(timeout=WAIT))
        if frame.get("type") == wanted:
            return frame


@pytest.mark.asyncio
async def test_floor_and_agency_sockets_receive_disaster_started_and_ended(ref, make_user, feed_user, supervisor):
    operator = await sync_to_async(make_user)("operator")
    damkar = await sync_to_async(make_user)("agency", agency="DAMKAR")
    floor_socket, _ = await open_socket((await sync_to_async(session_headers)(operator))[0])
    agency_socket, _ = await open_socket((await sync_to_async(session_headers)(damkar))[0])
    try:
        await sync_to_async(services.alert_receive_cap)(data=fixture_bytes("cap_tsunami.xml").replace(
            b"2023-04-16T02:15:00+07:00", b"2099-01-01T00:00:00+07:00"), user=feed_user)
        for socket in (floor_socket, agency_socket):
            frame = await _frames_until(socket, "disaster.started")
            assert frame["data"]["kind"] == "tsunami" and frame["data"]["alert"]["tsunami_level"] == "awas"
        await sync_to_async(services.disaster_end)(user=supervisor)
        for socket in (floor_socket, agency_socket):
            frame = await _frames_until(socket, "disaster.ended")
            assert frame["data"]["active"] is False and frame["data"]["end_reason"] == "supervisor"
        # The agency socket saw the disaster events but not BPBD's dispatch.
        assert await agency_socket.receive_nothing(timeout=0.3)
    finally:
        await floor_socket.disconnect()
        await agency_socket.disconnect()
