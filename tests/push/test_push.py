"""Web Push: subscriptions per user, endpoints that cannot reach the inside of the network, and a
new or escalated dispatch encrypted (aes128gcm) and signed (VAPID) to a push service, here a local
HTTP server standing in for it; dead subscriptions removed."""

from __future__ import annotations

import base64
import json
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.utils import timezone
from py_vapid import Vapid01, b64urlencode
from rest_framework.test import APIClient

from push.endpoints import endpoint_allowed
from push.models import PushSubscription
from tests.stub_http import StubServer

pytestmark = [pytest.mark.django_db]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class PushService(StubServer):
    """A push service on 127.0.0.1: records every request; answers each endpoint path with a chosen status."""

    def __init__(self):
        self.received: list[dict] = []
        self.status_for: dict[str, int] = {}
        super().__init__(self._answer)

    def _answer(self, request) -> tuple[int, dict[str, str], bytes]:
        self.received.append({"path": request.path, "headers": {k.lower(): v for k, v in request.headers.items()}, "body": request.body})
        return self.status_for.get(request.path, 201), {}, b""


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def vapid(settings):
    key = Vapid01()
    key.generate_keys()
    raw_private = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64urlencode(raw_private)
    settings.WEBPUSH_VAPID_PUBLIC_KEY = b64urlencode(public)
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:112@bengkulukota.go.id"
    settings.WEBPUSH_ALLOW_LOOPBACK = True
    return key


class Browser:
    """What a browser keeps for one subscription: its ECDH key pair and auth secret."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.private_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        self.keys = {"p256dh": b64(public), "auth": b64(self.auth)}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"))


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _subscribe(user, endpoint: str, browser: Browser | None = None):
    browser = browser or Browser()
    return _client(user).post("/api/v1/push/subscriptions/", {"endpoint": endpoint, "keys": browser.keys}, format="json"), browser


def _fire(make_user, agency="DAMKAR"):
    from calls.services import Location, call_classify, call_create

    operator = make_user("operator")
    call, _ = call_create(operator=operator, caller_number="081234567801", notes="kebakaran gudang",
                          location=Location(lat=-3.7956, lon=102.2659, address="Jl. Soeprapto"))
    return operator, call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")


@pytest.mark.django_db(transaction=True)
def test_a_new_dispatch_and_its_escalation_reach_the_agencys_phones_encrypted_and_signed(
    ref, make_user, vapid, push_service
):
    from dispatch.celery import app
    from dispatch.services import escalate_overdue, incident_dispatch

    staff = make_user("agency", agency="DAMKAR")
    other_agency = make_user("agency", agency="BPBD")
    response, phone = _subscribe(staff, push_service.base + "/push/damkar-phone")
    assert response.status_code == 201
    gone = Browser()
    assert _subscribe(staff, push_service.base + "/push/gone", gone)[0].status_code == 201
    push_service.status_for["/push/gone"] = 410
    assert _subscribe(other_agency, push_service.base + "/push/bpbd-phone")[0].status_code == 201
    operator, call = _fire(make_user)

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with transaction.atomic():  # as a request's transaction: nothing is sent before it commits
            [dispatch] = incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])
            assert push_service.received == []
        # The damkar phone took it; the dead subscription was tried, and removed; BPBD heard nothing.
        paths = sorted(r["path"] for r in push_service.received)
        assert paths == ["/push/damkar-phone", "/push/gone"]
        assert not PushSubscription.objects.filter(endpoint__endswith="/push/gone").exists()
        request = next(r for r in push_service.received if r["path"] == "/push/damkar-phone")
        assert request["headers"]["content-encoding"] == "aes128gcm"
        assert request["headers"]["authorization"].startswith("vapid t=")
        assert f"k={vapid_public(vapid)}" in request["headers"]["authorization"]
        assert int(request["headers"]["ttl"]) > 0
        message = phone.decrypt(request["body"])
        assert message["title"].startswith(f"Kejadian #{call.incident_id}")
        assert message["kind"] == "created" and message["url"] == "/agency/"
        assert "kebakaran" in message["body"].lower()

        push_service.received.clear()
        with transaction.atomic():
            escalate_overdue(now=timezone.now() + timezone.timedelta(hours=1))
        [request] = push_service.received
        escalated = phone.decrypt(request["body"])
        assert escalated["kind"] == "escalated" and escalated["title"].startswith(f"Kejadian #{call.incident_id}")
        assert dispatch.pk
    finally:
        app.conf.task_always_eager = eager


def vapid_public(key: Vapid01) -> str:
    return b64urlencode(key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def test_nothing_is_queued_when_push_is_not_configured(ref, make_user, settings, django_capture_on_commit_callbacks):
    from dispatch.services import incident_dispatch

    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    operator, call = _fire(make_user)
    with django_capture_on_commit_callbacks() as callbacks:
        incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])
    names = [getattr(c, "__qualname__", "") for c in callbacks]
    assert not any("queue_dispatch_push" in n for n in names)
    staff = make_user("agency", agency="DAMKAR")
    response, _ = _subscribe(staff, "https://fcm.googleapis.com/fcm/send/abc")
    assert response.status_code == 409


def test_a_user_manages_only_their_own_subscriptions(ref, make_user, vapid, push_service):
    alice = make_user("agency", agency="DAMKAR")
    bob = make_user("agency", agency="DAMKAR")
    endpoint = push_service.base + "/push/alice"
    assert _subscribe(alice, endpoint)[0].status_code == 201
    # Bob deleting Alice's endpoint removes nothing.
    response = _client(bob).delete("/api/v1/push/subscriptions/", {"endpoint": endpoint}, format="json")
    assert response.status_code == 200 and response.json() == {"deleted": 0}
    assert PushSubscription.objects.get(endpoint=endpoint).user == alice
    response = _client(alice).delete("/api/v1/push/subscriptions/", {"endpoint": endpoint}, format="json")
    assert response.json() == {"deleted": 1}
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("role", ["pbx", None])
def test_only_floor_and_agency_staff_subscribe(ref, make_user, vapid, push_service, role):
    from tests.factories import UserFactory

    user = make_user(role) if role else UserFactory()
    response, _ = _subscribe(user, push_service.base + "/push/x")
    assert response.status_code == 403
    assert APIClient().post("/api/v1/push/subscriptions/", {}, format="json").status_code in (401, 403)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"endpoint": "not a url", "keys": Browser().keys},
        {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "short", "auth": "x"}},
        {"endpoint": "https://fcm.googleapis.com/x", "keys": "nope"},
        {"endpoint": "https://fcm.googleapis.com/" + "a" * 2000, "keys": Browser().keys},
    ],
)
def test_bad_subscriptions_are_a_clear_400(ref, make_user, vapid, body):
    response = _client(make_user("operator")).post("/api/v1/push/subscriptions/", body, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "endpoint,loopback_allowed,allowed",
    [
        ("https://8.8.8.8/push/1", False, True),
        ("http://8.8.8.8/push/1", False, False),  # production: https only
        ("https://127.0.0.1/push/1", False, False),
        ("http://127.0.0.1:8080/push/1", False, False),
        ("http://127.0.0.1:8080/push/1", True, True),  # development and tests
        ("https://10.0.0.5/push", True, False),
        ("https://192.168.1.1/push", False, False),
        ("https://169.254.169.254/latest/meta-data", False, False),
        ("https://[::1]/push", False, False),
        ("https://[fd00::1]/push", False, False),
        ("https://localhost/push", False, False),
        ("https://user:pw@8.8.8.8/push", False, False),
        ("ftp://8.8.8.8/push", False, False),
        ("https://no-such-host.invalid/push", False, False),
    ],
)
def test_endpoints_never_point_inside_the_network(settings, endpoint, loopback_allowed, allowed):
    settings.WEBPUSH_ALLOW_LOOPBACK = loopback_allowed
    assert endpoint_allowed(endpoint) is allowed


def test_a_private_endpoint_is_refused_at_subscription(ref, make_user, vapid, settings):
    settings.WEBPUSH_ALLOW_LOOPBACK = False
    response, _ = _subscribe(make_user("agency", agency="DAMKAR"), "https://10.1.2.3/push")
    assert response.status_code == 400 and response.json()["field"] == "endpoint"


def test_the_service_worker_is_served_from_the_root_with_its_scope(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "showNotification" in body and "vibrate" in body
