"""Who may do what, as a table: role x action -> HTTP status, and role -> live socket accepted.

API columns use force_authenticate (token and session users end up as the same request.user);
the admin pages use a session. Supervisors and admins here are not subject to the TOTP rule,
which applies to interactive logins only and has its own tests in tests/test_accounts.py.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.test import Client
from dispatch.tokens import token_create
from rest_framework.test import APIClient

from calls.services import Location, call_classify, call_create
from dispatch import services as dispatch_services

ROLES = ("anonymous", "operator", "supervisor", "admin", "pbx", "staf_damkar", "staf_polresta")

# action: (method, path template, body)
ACTIONS = {
    "list_calls": ("get", "/api/v1/calls/", None),
    "read_call": ("get", "/api/v1/calls/{call}/", None),
    "create_call": ("post", "/api/v1/calls/", {"caller_number": "081298765432"}),
    "classify": ("post", "/api/v1/calls/{call}/classify/", {"call_type": "information"}),
    "take_over_call": ("post", "/api/v1/calls/{active_call}/take-over/", None),
    "read_incident": ("get", "/api/v1/incidents/{damkar_incident}/", None),
    "dispatch": ("post", "/api/v1/incidents/{open_incident}/dispatch/", {"agencies": ["BPBD"]}),
    "acknowledge": ("post", "/api/v1/dispatches/{damkar_dispatch}/acknowledge/", None),
    "change_status": ("post", "/api/v1/dispatches/{damkar_acked}/status/", {"status": "en_route"}),
    "close_incident": ("post", "/api/v1/incidents/{closable_incident}/close/", {"reason": "selesai"}),
    "note_incident": ("post", "/api/v1/incidents/{damkar_incident}/notes/", {"text": "dua orang terjebak di lantai 2"}),
    "events": ("get", "/api/v1/events/", None),
    "reports": ("get", "/api/v1/reports/daily/?date=2026-01-15", None),
    "admin": ("get", "/admin/", None),
    "user_admin": ("get", "/admin/auth/user/", None),
}

# Anonymous API calls are 403 (session authentication first, no WWW-Authenticate); the admin
# site redirects everyone who is not staff to its login. Another agency's objects are 404.
# Floor roles may only cancel a dispatch, so their "en_route" is 403.
EXPECTED = {
    #                 anon operator superv admin  pbx  damkar polresta
    "list_calls":     (403, 200, 200, 200, 403, 403, 403),
    "read_call":      (403, 200, 200, 200, 403, 403, 403),
    "create_call":    (403, 201, 201, 201, 201, 403, 403),
    "classify":       (403, 200, 200, 200, 403, 403, 403),
    "take_over_call": (403, 200, 200, 200, 403, 403, 403),
    "read_incident":  (403, 200, 200, 200, 403, 200, 404),
    "dispatch":       (403, 201, 201, 201, 403, 403, 403),
    "acknowledge":    (403, 403, 403, 403, 403, 200, 404),
    "change_status":  (403, 403, 403, 403, 403, 200, 404),
    "close_incident": (403, 200, 200, 200, 403, 403, 403),
    "note_incident":  (403, 201, 201, 201, 403, 403, 403),
    "events":         (403, 200, 200, 200, 403, 200, 200),
    "reports":        (403, 403, 200, 200, 403, 403, 403),
    "admin":          (302, 302, 302, 200, 302, 302, 302),
    "user_admin":     (302, 302, 302, 200, 302, 302, 302),
}

# Which roles the live socket accepts.
WEBSOCKET_ACCEPTED = {
    "anonymous": False, "operator": True, "supervisor": True, "admin": True,
    "pbx": False, "staf_damkar": True, "staf_polresta": True,
}



def _users(make_user) -> dict:
    users = {
        "anonymous": None,
        "operator": make_user("operator"),
        "supervisor": make_user("supervisor"),
        "admin": make_user("admin"),
        "pbx": make_user("pbx"),
        "staf_damkar": make_user("agency", "DAMKAR"),
        "staf_polresta": make_user("agency", "POLRESTA"),
    }
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save()
    return users


def _emergency(operator, number: str):
    # A P1 fire with a place: one without is dispatched only with a reason.
    call, _ = call_create(operator=operator, caller_number=number, location=Location(lat=-3.7956, lon=102.2659, address="Jl. Soeprapto"))
    call = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    return call.incident


@pytest.fixture
def world(ref, make_user):
    users = _users(make_user)
    operator = users["operator"]
    damkar_incident = _emergency(operator, "081200000001")
    damkar_dispatch = dispatch_services.incident_dispatch(incident_id=damkar_incident.pk, user=operator, agency_codes=["DAMKAR"])[0]
    acked_incident = _emergency(operator, "081200000002")
    damkar_acked = dispatch_services.incident_dispatch(incident_id=acked_incident.pk, user=operator, agency_codes=["DAMKAR"])[0]
    dispatch_services.dispatch_acknowledge(dispatch_id=damkar_acked.pk, user=users["staf_damkar"])
    open_incident = _emergency(operator, "081200000003")
    closable_incident = _emergency(operator, "081200000005")
    call, _ = call_create(operator=operator, caller_number="081200000004")
    active_call, _ = call_create(operator=operator, caller_number="081200000006")
    ids = {
        "call": call.pk,
        "active_call": active_call.pk,
        "damkar_incident": damkar_incident.pk,
        "damkar_dispatch": damkar_dispatch.pk,
        "damkar_acked": damkar_acked.pk,
        "open_incident": open_incident.pk,
        "closable_incident": closable_incident.pk,
    }
    return users, ids


def _client(user, action):
    if ACTIONS[action][1].startswith("/admin/"):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_access_table(world, role):
    """One world per role; every action of the table runs against it (actions use distinct objects)."""
    users, ids = world
    column = ROLES.index(role)
    got, wanted = {}, {}
    for action, (method, template, body) in ACTIONS.items():
        client = _client(users[role], action)
        args = (template.format(**ids), body) if body is not None else (template.format(**ids),)
        got[action] = getattr(client, method)(*args, format="json").status_code if body is not None else getattr(client, method)(*args).status_code
        wanted[action] = EXPECTED[action][column]
    assert got == wanted


@pytest.mark.django_db
def test_other_agencys_dispatch_detail_and_list_are_hidden(world):
    users, ids = world
    polresta = APIClient()
    polresta.force_authenticate(users["staf_polresta"])
    assert polresta.get(f"/api/v1/dispatches/{ids['damkar_dispatch']}/").status_code == 404
    assert polresta.get("/api/v1/dispatches/").json() == []


# --- the live socket -----------------------------------------------------------------------------


def _application():
    from dispatch.asgi import application

    return application


class WebsocketCommunicator(ApplicationCommunicator):
    """channels.testing.WebsocketCommunicator without importing channels.testing (which needs daphne)."""

    def __init__(self, application, path, headers):
        scope = {"type": "websocket", "path": path, "headers": headers, "subprotocols": [], "query_string": b"", "client": ("127.0.0.1", 5000)}
        super().__init__(application, scope)

    async def connect(self, timeout=5):
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        return response["type"] == "websocket.accept", response

    async def receive_json_from(self, timeout=5):
        import json

        return json.loads((await self.receive_output(timeout))["text"])

    async def disconnect(self, code=1000, timeout=1):
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


async def _connect(headers) -> tuple[bool, WebsocketCommunicator]:
    communicator = WebsocketCommunicator(_application(), "/ws/live/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return connected, communicator


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_live_socket_by_role_with_token(ref, make_user, role):
    users = await sync_to_async(_users)(make_user)
    headers = [(b"origin", b"http://testserver")]
    if users[role] is not None:
        token = await sync_to_async(token_create)(user=users[role])
        headers.append((b"authorization", f"Token {token.key}".encode()))
    connected, communicator = await _connect(headers)
    assert connected is WEBSOCKET_ACCEPTED[role]
    if connected:
        hello = await communicator.receive_json_from(timeout=5)
        assert hello["type"] == "hello"
    await communicator.disconnect()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_live_socket_with_session_cookie_and_origin_rules(ref, make_user):
    operator = await sync_to_async(make_user)("operator")
    client = Client()
    await sync_to_async(client.force_login)(operator)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    connected, communicator = await _connect([(b"origin", b"http://testserver"), (b"cookie", cookie)])
    assert connected
    await communicator.disconnect()

    connected, communicator = await _connect([(b"origin", b"https://evil.example"), (b"cookie", cookie)])
    assert not connected
    await communicator.disconnect()

    connected, communicator = await _connect([(b"origin", b"http://testserver")])
    assert not connected, "no session, no token"
    await communicator.disconnect()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_supervisor_socket_needs_the_second_factor_like_every_page(ref, make_user):
    from tests.test_accounts import form_login, login_with_otp

    supervisor = await sync_to_async(make_user)("supervisor")
    half = Client()
    response = await sync_to_async(form_login)(half, supervisor.username)
    assert response.status_code == 302  # password accepted, second factor still missing
    cookie = f"sessionid={half.cookies['sessionid'].value}".encode()
    connected, communicator = await _connect([(b"origin", b"http://testserver"), (b"cookie", cookie)])
    assert not connected
    await communicator.disconnect()

    full = Client()
    await sync_to_async(login_with_otp)(full, supervisor)
    cookie = f"sessionid={full.cookies['sessionid'].value}".encode()
    connected, communicator = await _connect([(b"origin", b"http://testserver"), (b"cookie", cookie)])
    assert connected
    await communicator.disconnect()


# --- agency staff after their dispatch was withdrawn ---------------------------------------------

# (dispatch state of DAMKAR's only dispatch) x (who reads) x (action) -> status. BPBD keeps a live
# dispatch on the same incident throughout, so the incident itself stays open and dispatched.
WITHDRAWN_ACTIONS = {
    "read_incident": "/api/v1/incidents/{incident}/",
    "read_own_dispatch": "/api/v1/dispatches/{dispatch}/",
}
WITHDRAWN_EXPECTED = {
    #  state         reader          read_incident  read_own_dispatch
    ("dispatched", "staf_damkar"): (200, 200),
    ("acknowledged", "staf_damkar"): (200, 200),
    ("cancelled", "staf_damkar"): (404, 200),
    ("declined", "staf_damkar"): (404, 200),
    ("cancelled", "staf_bpbd"): (200, 404),
    ("cancelled", "operator"): (200, 200),
    ("declined", "supervisor"): (200, 200),
}


def _withdrawn_world(make_user, state: str):
    operator = make_user("operator")
    users = {
        "operator": operator,
        "supervisor": make_user("supervisor"),
        "staf_damkar": make_user("agency", "DAMKAR"),
        "staf_bpbd": make_user("agency", "BPBD"),
    }
    incident = _emergency(operator, "081200000071")
    damkar, _bpbd = dispatch_services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "BPBD"])
    if state == "acknowledged":
        dispatch_services.dispatch_acknowledge(dispatch_id=damkar.pk, user=users["staf_damkar"])
    elif state == "cancelled":
        dispatch_services.dispatch_set_status(dispatch_id=damkar.pk, user=operator, status="cancelled", note="salah kirim")
    elif state == "declined":
        dispatch_services.dispatch_set_status(dispatch_id=damkar.pk, user=users["staf_damkar"], status="declined", note="unit habis")
    return users, {"incident": incident.pk, "dispatch": damkar.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("state, reader", list(WITHDRAWN_EXPECTED))
def test_agency_staff_lose_the_incident_once_their_dispatch_is_withdrawn(ref, make_user, state, reader):
    users, ids = _withdrawn_world(make_user, state)
    client = APIClient()
    client.force_authenticate(users[reader])
    got = tuple(client.get(path.format(**ids)).status_code for path in WITHDRAWN_ACTIONS.values())
    assert got == WITHDRAWN_EXPECTED[(state, reader)]


@pytest.mark.django_db
def test_withdrawn_agency_replays_only_its_own_dispatch_record(ref, make_user):
    """The events replay after a cancellation carries DAMKAR's dispatch events only, never a call or note."""
    users, ids = _withdrawn_world(make_user, "cancelled")
    dispatch_services.incident_add_note(incident_id=ids["incident"], user=users["operator"], text="korban di lantai 2")
    client = APIClient()
    client.force_authenticate(users["staf_damkar"])
    frames = client.get("/api/v1/events/?after=0").json()
    assert frames and {f["type"] for f in frames} <= {"dispatch.created", "dispatch.updated", "dispatch.escalated"}
    assert {f["data"]["id"] for f in frames} == {ids["dispatch"]}
    assert frames[-1]["data"]["status"] == "cancelled"
    assert "korban" not in str(frames)
