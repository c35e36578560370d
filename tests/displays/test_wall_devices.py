"""Wall displays: a supervisor enrols a TV with a one-time link; the TV sees the wall and nothing else,
stays signed in past the idle timeout, and is shut out the moment it is revoked. Audited."""

from __future__ import annotations

import json
import re
import sys
import types
from datetime import timedelta
from pathlib import Path

import channels
import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from dispatch.models import AuditLog
from displays.models import WallDevice

try:
    from channels.testing import WebsocketCommunicator
except ImportError:  # channels.testing imports daphne for its live server, which we do not use
    _pkg = types.ModuleType("channels.testing")
    _pkg.__path__ = [str(Path(channels.__file__).parent / "testing")]
    sys.modules["channels.testing"] = _pkg
    from channels.testing.websocket import WebsocketCommunicator

pytestmark = [pytest.mark.django_db]

# What the wall reads (GET): every one of them answers the display.
WALL_READS = ["/wall/", "/geo/kelurahan.geojson", "/wall/incidents.json", "/board/partial/?view=wall", "/api/v1/events/?after=0"]

# Everything else, pages and API alike, in reading and in writing: refused.
REFUSED = [
    ("get", "/desk/"),
    ("get", "/board/"),
    ("get", "/board/partial/"),
    ("get", "/agency/"),
    ("get", "/agency/partial/"),
    ("get", "/incidents/1/"),
    ("get", "/reports/"),
    ("get", "/routing/"),
    ("get", "/wall/devices/"),
    ("post", "/wall/devices/"),
    ("post", "/wall/devices/1/revoke/"),
    ("get", "/admin/"),
    ("get", "/api/docs/"),
    ("get", "/api/schema/"),
    ("get", "/api/v1/calls/"),
    ("get", "/api/v1/calls/1/"),
    ("get", "/api/v1/dispatches/"),
    ("get", "/api/v1/incidents/1/"),
    ("get", "/api/v1/callbacks/"),
    ("get", "/api/v1/reports/daily/"),
    ("post", "/api/v1/calls/"),
    ("post", "/api/v1/incidents/1/dispatch/"),
    ("post", "/api/v1/dispatches/1/acknowledge/"),
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/events/"),
    ("post", "/i18n/setlang/"),
]


@pytest.fixture
def supervisor_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


def _enrol(supervisor_client, name="TV ruang operator") -> tuple[WallDevice, str]:
    response = supervisor_client.post("/wall/devices/", {"name": name})
    assert response.status_code == 200
    link = re.search(r'<code id="wall-device-link">([^<]+)</code>', response.content.decode()).group(1)
    return WallDevice.objects.get(name=name), link


def _open(link: str) -> Client:
    tv = Client()
    path = link.replace("http://testserver", "")
    page = tv.get(path)
    assert page.status_code == 200 and "Buka layar dinding" in page.content.decode()
    opened = tv.post(path)
    assert opened.status_code == 302 and opened["Location"] == "/wall/"
    return tv


@pytest.fixture
def tv(supervisor_client):
    device, link = _enrol(supervisor_client)
    return _open(link)


@pytest.mark.parametrize("path", WALL_READS)
def test_a_wall_display_reads_what_the_wall_reads(tv, path):
    response = tv.get(path)
    assert response.status_code == 200, response.content[:300]


def test_the_wall_displays_events_are_the_floors(tv, operator):
    from calls.services import call_create

    call_create(operator=operator, caller_number="081234567890")
    rows = tv.get("/api/v1/events/?after=0").json()
    assert "call.created" in {row["type"] for row in rows}


@pytest.mark.parametrize("method,path", REFUSED, ids=[f"{m} {p}" for m, p in REFUSED])
def test_a_wall_display_is_refused_everything_else(tv, method, path):
    response = getattr(tv, method)(path)
    assert response.status_code == 403, (method, path, response.status_code)


def test_a_display_has_no_password_and_no_role(tv):
    from agencies.selectors import actor_for_user

    device = WallDevice.objects.get()
    assert not device.user.has_usable_password()
    assert actor_for_user(device.user).role is None
    assert Client().post("/api/v1/auth/token/", {"username": device.user.username, "password": ""}).status_code == 400


def test_a_display_stays_signed_in_past_the_idle_timeout_while_a_supervisor_does_not(supervisor_client, supervisor):
    from dispatch.accounts import INTERACTIVE_KEY, LAST_ACTIVITY_KEY

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        device, link = _enrol(supervisor_client)
        tv = _open(link)
        # The supervisor's browser session, marked interactive as a form login marks it.
        session = supervisor_client.session
        session[INTERACTIVE_KEY] = True
        session[LAST_ACTIVITY_KEY] = timezone.now().timestamp()
        session.save()
        for _ in range(3):
            traveller.shift(timedelta(hours=1))
            assert tv.get("/wall/").status_code == 200
            assert tv.get("/api/v1/events/?after=0").status_code == 200
        assert supervisor_client.get("/wall/").status_code == 302  # logged out by the 15-minute idle timeout
        # A whole night switched off: still in the next morning.
        traveller.shift(timedelta(hours=10))
        assert tv.get("/wall/").status_code == 200


def test_a_revoked_display_is_refused_at_once_and_the_revocation_is_audited(supervisor_client, supervisor):
    device, link = _enrol(supervisor_client)
    tv = _open(link)
    assert tv.get("/wall/").status_code == 200
    response = supervisor_client.post(f"/wall/devices/{device.pk}/revoke/")
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None and device.revoked_by == supervisor
    assert tv.get("/api/v1/events/?after=0").status_code in (401, 403)
    assert tv.get("/wall/").status_code == 302
    assert tv.get("/wall/incidents.json").status_code == 302
    actions = list(AuditLog.objects.filter(object_type="walldevice", object_id=str(device.pk)).values_list("action", "username"))
    assert ("wall_device.create", supervisor.username) in actions
    assert ("wall_device.open", device.user.username) in actions
    assert ("wall_device.revoke", supervisor.username) in actions
    # Revoking again changes nothing.
    supervisor_client.post(f"/wall/devices/{device.pk}/revoke/")
    assert AuditLog.objects.filter(action="wall_device.revoke", object_id=str(device.pk)).count() == 1


def test_the_link_opens_once_and_only_before_it_expires(supervisor_client):
    device, link = _enrol(supervisor_client)
    path = link.replace("http://testserver", "")
    _open(link)
    assert Client().get(path).status_code == 404
    assert Client().post(path).status_code == 404
    assert Client().get("/wall/open/not-a-real-secret/").status_code == 404

    _, late = _enrol(supervisor_client, name="TV dua")
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert Client().post(late.replace("http://testserver", "")).status_code == 404


@pytest.mark.parametrize("role", ["operator", "agency"])
def test_only_supervisors_manage_displays(ref, make_user, supervisor_client, role):
    device, _ = _enrol(supervisor_client)
    client = Client()
    client.force_login(make_user(role, agency="DAMKAR" if role == "agency" else None))
    assert client.get("/wall/devices/").status_code == 403
    assert client.post("/wall/devices/", {"name": "x"}).status_code == 403
    assert client.post(f"/wall/devices/{device.pk}/revoke/").status_code == 403
    assert WallDevice.objects.count() == 1 and WallDevice.objects.get().revoked_at is None


def test_a_device_needs_a_name(supervisor_client):
    response = supervisor_client.post("/wall/devices/", {"name": "  "})
    assert response.status_code == 400
    assert not WallDevice.objects.exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_the_displays_socket_reads_the_floor_and_closes_when_revoked(ref, make_user):
    from dispatch.asgi import application

    supervisor = await sync_to_async(make_user)("supervisor")
    supervisor_client = Client()
    await sync_to_async(supervisor_client.force_login)(supervisor)
    device, link = await sync_to_async(_enrol)(supervisor_client)
    tv = await sync_to_async(_open)(link)
    headers = [(b"origin", b"http://testserver"), (b"cookie", f"sessionid={tv.cookies['sessionid'].value}".encode()), (b"host", b"testserver")]
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert json.loads(await communicator.receive_from(timeout=5))["type"] == "hello"

    operator = await sync_to_async(make_user)("operator")
    from calls.services import call_create

    await sync_to_async(call_create)(operator=operator, caller_number="081234567891")
    assert json.loads(await communicator.receive_from(timeout=5))["type"] == "call.created"

    await sync_to_async(supervisor_client.post)(f"/wall/devices/{device.pk}/revoke/")
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    again = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await again.connect(timeout=5)
    assert not connected and code == 4403
