"""The live socket against the real ASGI application: who may connect, what each role
receives, and sockets closed on logout and role change. Real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from pathlib import Path

import channels
import pytest
from asgiref.sync import sync_to_async
from django.test import Client

try:
    from channels.testing import WebsocketCommunicator
except ImportError:  # channels.testing imports daphne for its live server, which we do not use
    _pkg = types.ModuleType("channels.testing")
    _pkg.__path__ = [str(Path(channels.__file__).parent / "testing")]
    sys.modules["channels.testing"] = _pkg
    from channels.testing.websocket import WebsocketCommunicator

from dispatch.asgi import application
from dispatch.models import Event

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://testserver")
WAIT = 5  # seconds: a bound for real async delivery, not a sleep


def session_headers(user, origin=ORIGIN):
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [origin, (b"cookie", cookie), (b"host", b"testserver")], client


def token_headers(user, origin=ORIGIN):
    from dispatch.tokens import token_create

    key = token_create(user=user).key
    return [origin, (b"authorization", f"Token {key}".encode()), (b"host", b"testserver")]


async def open_socket(headers):
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await communicator.connect(timeout=WAIT)
    assert connected, f"refused with {code}"
    hello = json.loads(await communicator.receive_from(timeout=WAIT))
    assert hello["type"] == "hello"
    return communicator, hello


async def drain(communicator, *, until_seq: int, seen: list[dict]) -> list[dict]:
    """Collect frames until `until_seq` arrives (or time runs out)."""
    while not seen or seen[-1]["seq"] < until_seq:
        try:
            frame = json.loads(await communicator.receive_from(timeout=WAIT))
        except asyncio.TimeoutError:
            break
        seen.append(frame)
    return seen


def dispatch_flow(operator, open_incident, agencies):
    from dispatch.services import incident_dispatch

    incident = open_incident()
    incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=agencies)
    return incident


@pytest.fixture
def people(ref, make_user, staff):
    return {
        "operator": make_user("operator"),
        "supervisor": make_user("supervisor"),
        "damkar": staff("DAMKAR"),
        "bpbd": staff("BPBD"),
    }


async def test_each_role_receives_exactly_what_it_may_see(people, open_incident):
    sockets = {}
    for name, user in people.items():
        headers = await sync_to_async(token_headers if name == "bpbd" else lambda u: session_headers(u)[0])(user)
        sockets[name], _hello = await open_socket(headers)
    start = await sync_to_async(lambda: Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0)()

    # A fire dispatched to DAMKAR only, then another to DAMKAR and BPBD.
    await sync_to_async(dispatch_flow)(people["operator"], open_incident, ["DAMKAR"])
    await sync_to_async(dispatch_flow)(people["operator"], lambda: open_incident(number="081234500002"), ["DAMKAR", "BPBD"])
    stored = await sync_to_async(lambda: list(Event.objects.filter(seq__gt=start).order_by("seq").values("seq", "type", "agency_code")))()
    last = stored[-1]["seq"]

    for name in ("operator", "supervisor"):
        seen = await drain(sockets[name], until_seq=last, seen=[])
        assert [f["seq"] for f in seen] == [e["seq"] for e in stored], name
        assert all("ts" in f and f["type"] == e["type"] for f, e in zip(seen, stored))
    for name, code in (("damkar", "DAMKAR"), ("bpbd", "BPBD")):
        expected = [e["seq"] for e in stored if e["type"].startswith("dispatch.") and e["agency_code"] == code]
        assert expected, code
        seen = await drain(sockets[name], until_seq=expected[-1], seen=[])
        assert [f["seq"] for f in seen] == expected, name
        assert all(f["data"]["agency"] == code for f in seen)
        # Nothing else arrives: not another agency's dispatch, not calls or incidents.
        assert await sockets[name].receive_nothing(timeout=0.3)

    # The heartbeat tells each user the newest seq they may see.
    await sockets["bpbd"].send_to(text_data="ping")
    pong = json.loads(await sockets["bpbd"].receive_from(timeout=WAIT))
    assert pong == {"type": "pong", "seq": [e["seq"] for e in stored if e["agency_code"] == "BPBD"][-1]}
    await sockets["operator"].send_to(text_data="ping")
    assert json.loads(await sockets["operator"].receive_from(timeout=WAIT)) == {"type": "pong", "seq": last}
    for communicator in sockets.values():
        await communicator.disconnect()


async def test_another_agencys_dispatch_never_arrives(people, open_incident):
    bpbd, _ = await open_socket(await sync_to_async(token_headers)(people["bpbd"]))
    floor, _ = await open_socket(await sync_to_async(token_headers)(people["operator"]))
    await sync_to_async(dispatch_flow)(people["operator"], open_incident, ["DAMKAR"])
    last = await sync_to_async(lambda: Event.objects.order_by("-seq").first().seq)()
    # The floor got everything up to the last DAMKAR event, so the broadcast is done.
    seen = await drain(floor, until_seq=last, seen=[])
    assert seen[-1]["seq"] == last and seen[-1]["data"]["agency"] == "DAMKAR"
    assert await bpbd.receive_nothing(timeout=0.5)
    await bpbd.disconnect()
    await floor.disconnect()


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([ORIGIN, (b"host", b"testserver")], id="no-credentials"),
        pytest.param([ORIGIN, (b"authorization", b"Token not-a-real-key"), (b"host", b"testserver")], id="bad-token"),
        pytest.param([ORIGIN, (b"cookie", b"sessionid=forged"), (b"host", b"testserver")], id="bad-session"),
    ],
)
async def test_unauthenticated_handshake_is_refused(ref, headers):
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await communicator.connect(timeout=WAIT)
    assert not connected
    assert code == 4403


@pytest.mark.parametrize("origin", [b"http://evil.example", b"http://testserver.evil.example", None])
async def test_foreign_or_missing_origin_is_refused(people, origin):
    headers = await sync_to_async(token_headers)(people["operator"])
    headers = [h for h in headers if h[0] != b"origin"] + ([(b"origin", origin)] if origin else [])
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _code = await communicator.connect(timeout=WAIT)
    assert not connected


async def test_user_without_a_role_is_refused(make_user, ref):
    from tests.factories import UserFactory

    nobody = await sync_to_async(UserFactory)()
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=await sync_to_async(token_headers)(nobody))
    connected, code = await communicator.connect(timeout=WAIT)
    assert not connected and code == 4403


async def test_socket_closes_on_logout(people):
    headers, client = await sync_to_async(session_headers)(people["operator"])
    communicator, _ = await open_socket(headers)
    other, _ = await open_socket(await sync_to_async(lambda: session_headers(people["supervisor"])[0])())
    response = await sync_to_async(client.post)("/logout/")
    assert response.status_code == 302
    closed = await communicator.receive_output(timeout=WAIT)
    assert closed == {"type": "websocket.close", "code": 4401}
    # Only that user's sockets close.
    assert await other.receive_nothing(timeout=0.3)
    await other.disconnect()


async def test_socket_closes_when_the_role_changes(people, open_incident):
    from agencies.services import user_upsert
    from tests.factories import PASSWORD

    user = people["damkar"]
    communicator, _ = await open_socket(await sync_to_async(token_headers)(user))
    await sync_to_async(user_upsert)(username=user.username, role="agency", agency_code="BPBD", password=PASSWORD)
    closed = await communicator.receive_output(timeout=WAIT)
    assert closed == {"type": "websocket.close", "code": 4401}
    # Reconnecting joins the new agency's stream, not the old one.
    fresh_user = await sync_to_async(type(user).objects.get)(pk=user.pk)
    again, hello = await open_socket(await sync_to_async(token_headers)(fresh_user))
    assert hello["role"] == "agency"
    await sync_to_async(dispatch_flow)(people["operator"], open_incident, ["DAMKAR", "BPBD"])
    frame = json.loads(await again.receive_from(timeout=WAIT))
    assert frame["data"]["agency"] == "BPBD"
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()


async def test_many_sockets_on_one_process_all_receive(people, open_incident):
    """200+ sockets on one process share one Redis subscription per group (pub/sub layer)."""
    headers = await sync_to_async(token_headers)(people["operator"])
    sockets = [await open_socket(headers) for _ in range(210)]
    await sync_to_async(open_incident)()
    last = await sync_to_async(lambda: Event.objects.order_by("-seq").first().seq)()
    for communicator, _ in sockets:
        seen = await drain(communicator, until_seq=last, seen=[])
        assert seen and seen[-1]["seq"] == last
    for communicator, _ in sockets:
        await communicator.disconnect()


async def test_forwarding_a_frame_does_not_wait_for_the_shared_sync_thread(people, open_incident, monkeypatch):
    """Channels checks database connections before each handler in the one thread that also runs
    synchronous code; a socket that only forwards frames must not queue behind it."""
    import channels.consumer

    checks: list[str] = []
    original = channels.consumer.aclose_old_connections

    async def counting():
        checks.append("check")
        await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting)
    headers = await sync_to_async(token_headers)(people["operator"])
    communicator, _ = await open_socket(headers)
    after_connect = len(checks)
    assert after_connect >= 1  # the connect handler still gets its check
    await sync_to_async(open_incident)()
    last = await sync_to_async(lambda: Event.objects.order_by("-seq").first().seq)()
    seen = await drain(communicator, until_seq=last, seen=[])
    assert seen and seen[-1]["seq"] == last and len(seen) >= 2
    assert len(checks) == after_connect
    await communicator.disconnect()


async def test_sockets_opened_while_events_flow_get_hello_first_and_answer_pings(people, monkeypatch):
    """Each source (the socket, the channel layer) has one task in LiveConsumer's loop; the channel's
    starts only after connect, so the greeting always comes first, and a ping is answered while
    frames keep arriving. Channels' per-message loop is not used at all."""
    import threading

    import channels.consumer
    from django.db import connections

    from calls.services import call_create

    def per_message_loop(*args, **kwargs):
        raise AssertionError("channels' per-message loop used")

    monkeypatch.setattr(channels.consumer, "await_many_dispatch", per_message_loop)
    headers = await sync_to_async(token_headers)(people["operator"])
    stop = threading.Event()

    def writer():
        try:
            n = 0
            while not stop.is_set():
                call_create(operator=people["operator"], caller_number=f"08127{n:07d}")
                n += 1
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        sockets = [await open_socket(headers) for _ in range(20)]  # open_socket asserts hello is the first frame
        communicator, hello = sockets[-1]
        await communicator.send_to(text_data="ping")
        frames = []
        while not (any(f["type"] == "pong" for f in frames)
                   and any(f["type"] == "call.created" and f["seq"] > hello["seq"] for f in frames)):
            frames.append(json.loads(await communicator.receive_from(timeout=WAIT)))
    finally:
        stop.set()
        await asyncio.to_thread(thread.join)
    # Frames kept arriving around the pong, in seq order (one committed while the greeting was
    # read may come after it with a seq it already counted: the client skips those by seq).
    seqs = [f["seq"] for f in frames if f["type"] == "call.created"]
    assert seqs == sorted(seqs)
    for communicator, _ in sockets:
        await communicator.disconnect()


@pytest.mark.parametrize(
    "origin, host, accepted",
    [
        pytest.param(b"http://testserver", b"testserver", True, id="same-origin"),
        pytest.param(b"http://testserver:8000", b"testserver:8000", True, id="same-origin-with-port"),
        pytest.param(b"http://testserver:8001", b"testserver:8000", False, id="other-port"),
        pytest.param(b"http://testserver:8000", b"testserver", False, id="port-not-served"),
        pytest.param(b"https://testserver", b"testserver", False, id="https-page-on-a-plain-socket"),
        pytest.param(b"ftp://testserver", b"testserver", False, id="other-scheme"),
        pytest.param(b"http://localhost", b"testserver", False, id="another-allowed-host"),
        pytest.param(b"null", b"testserver", False, id="opaque-origin"),
    ],
)
async def test_origin_must_match_scheme_host_and_port(people, origin, host, accepted):
    headers = await sync_to_async(token_headers)(people["operator"])
    headers = [h for h in headers if h[0] not in (b"origin", b"host")] + [(b"origin", origin), (b"host", host)]
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _code = await communicator.connect(timeout=WAIT)
    assert connected is accepted
    await communicator.disconnect()


async def test_https_behind_the_proxy_matches_an_https_page(people, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    base = [h for h in await sync_to_async(token_headers)(people["operator"]) if h[0] != b"origin"]
    for origin, proto, accepted in ((b"https://testserver", b"https", True), (b"https://testserver", b"http", False),
                                    (b"http://testserver", b"https", False)):
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=base + [(b"origin", origin), (b"x-forwarded-proto", proto)])
        connected, _code = await communicator.connect(timeout=WAIT)
        assert connected is accepted, (origin, proto)
        await communicator.disconnect()


async def test_hello_gives_agency_staff_their_own_newest_seq(people, open_incident):
    await sync_to_async(dispatch_flow)(people["operator"], open_incident, ["DAMKAR"])
    await sync_to_async(dispatch_flow)(people["operator"], lambda: open_incident(number="081234500003"), ["BPBD"])
    await sync_to_async(open_incident)(number="081234500004")  # floor events after both
    newest = await sync_to_async(lambda: {
        code: Event.objects.filter(agency_code=code, type__startswith="dispatch.").order_by("-seq").values_list("seq", flat=True).first()
        for code in ("DAMKAR", "BPBD")
    })()
    last = await sync_to_async(lambda: Event.objects.order_by("-seq").values_list("seq", flat=True).first())()
    for name, code in (("damkar", "DAMKAR"), ("bpbd", "BPBD")):
        communicator, hello = await open_socket(await sync_to_async(token_headers)(people[name]))
        assert hello["seq"] == newest[code] < last
        await communicator.send_to(text_data="ping")
        assert json.loads(await communicator.receive_from(timeout=WAIT))["seq"] == hello["seq"]
        await communicator.disconnect()
    floor, hello = await open_socket(await sync_to_async(token_headers)(people["operator"]))
    assert hello["seq"] == last
    await floor.disconnect()


# --- revoked access closes the socket within WAIT seconds ----------------------------------------


def _deactivate(user):
    user.is_active = False
    user.save()


def _change_password(user):
    user.set_password("kopi-tubruk-pagi-112")
    user.save()


def _move_agency(user):
    from agencies.models import Agency, Membership

    membership = Membership.objects.get(user=user)
    membership.agency = Agency.objects.get(code="BPBD")
    membership.save()  # as the admin's form does, not through a service


def _delete_tokens(user):
    from dispatch.models import ApiToken

    for token in ApiToken.objects.filter(user=user):
        token.delete()


@pytest.mark.parametrize("change", [_deactivate, _change_password, _move_agency, _delete_tokens],
                         ids=["deactivated", "password", "agency-move", "token-deleted"])
@pytest.mark.parametrize("credential", ["token", "session"])
async def test_revoking_access_closes_the_live_socket(people, change, credential):
    user = people["damkar"]
    if credential == "token":
        headers = await sync_to_async(token_headers)(user)
    else:
        headers = (await sync_to_async(session_headers)(user))[0]
    communicator, _ = await open_socket(headers)
    bystander, _ = await open_socket(await sync_to_async(token_headers)(people["bpbd"]))
    await sync_to_async(change)(user)
    if credential == "session" and change is _delete_tokens:
        # A browser's socket does not depend on tokens: it stays open.
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
    else:
        assert await communicator.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 4401}
    assert await bystander.receive_nothing(timeout=0.3)
    await bystander.disconnect()


@pytest.mark.parametrize("role, minutes", [("operator", 30), ("supervisor", 15)])
async def test_the_idle_timeout_closes_the_socket_without_any_request(ref, make_user, settings, role, minutes):
    """The socket's pings are not activity: once the session has been idle past the role's limit, the
    consumer's periodic re-check closes it, though no HTTP request comes to log the session out."""
    import time

    from django.contrib.sessions.backends.db import SessionStore

    from dispatch.accounts import INTERACTIVE_KEY, LAST_ACTIVITY_KEY

    settings.LIVE_RECHECK_SECONDS = 0.2
    user = await sync_to_async(make_user)(role)
    headers, client = await sync_to_async(session_headers)(user)

    def age_session(seconds_idle: float):
        session = SessionStore(client.cookies["sessionid"].value)
        session[INTERACTIVE_KEY] = True
        session[LAST_ACTIVITY_KEY] = time.time() - seconds_idle
        session.save()

    await sync_to_async(age_session)(minutes * 60 - 60)  # a minute left
    if role == "supervisor":
        from django_otp.plugins.otp_totp.models import TOTPDevice
        from django_otp import DEVICE_ID_SESSION_KEY

        def verified():
            device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
            session = SessionStore(client.cookies["sessionid"].value)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

        await sync_to_async(verified)()
    communicator, _ = await open_socket(headers)
    assert await communicator.receive_nothing(timeout=0.8)
    await communicator.send_to(text_data="ping")
    assert json.loads(await communicator.receive_from(timeout=WAIT))["type"] == "pong"
    await sync_to_async(age_session)(minutes * 60 + 1)
    assert await communicator.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 4401}


async def test_an_expired_token_closes_its_socket(people, settings):
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.models import ApiToken

    settings.LIVE_RECHECK_SECONDS = 0.2
    communicator, _ = await open_socket(await sync_to_async(token_headers)(people["operator"]))
    assert await communicator.receive_nothing(timeout=0.6)
    await sync_to_async(lambda: ApiToken.objects.filter(user=people["operator"]).update(expires_at=timezone.now() - timedelta(seconds=1)))()
    assert await communicator.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 4401}
