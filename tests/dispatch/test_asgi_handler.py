"""HTTP through the real ASGI application: the chain and the view run in one thread hop."""

import asyncio
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from rest_framework.authtoken.models import Token

from calls.models import Call


def _application():
    from dispatch.asgi import application

    return application


async def _request(method: str, path: str, *, body: bytes = b"", headers=(), app=None):
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *headers], "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(app or _application(), scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(10)
    chunks = []
    while True:
        message = await communicator.receive_output(10)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await communicator.wait(10)
    return start["status"], {k.lower(): v for k, v in start["headers"]}, b"".join(chunks)


@pytest.mark.django_db(transaction=True)
async def test_a_call_posted_through_asgi_is_stored_and_answered_with_the_middleware_headers(operator):
    token = await sync_to_async(Token.objects.create)(user=operator)
    status, headers, body = await _request(
        "POST", "/api/v1/calls/", body=json.dumps({"caller_number": "0812 7300 1234", "notes": "asap"}).encode(),
        headers=[(b"authorization", f"Token {token.key}".encode()), (b"content-type", b"application/json"),
                 (b"idempotency-key", b"asgi-1")],
    )
    assert status == 201, body
    answer = json.loads(body)
    call = await sync_to_async(Call.objects.select_related("caller").get)(pk=answer["id"])
    assert call.caller.number == "+6281273001234"
    assert call.operator_id == operator.pk
    # Outer (Django's security, ours) and inner (clickjacking) middleware all ran.
    assert headers[b"x-frame-options"] == b"DENY"
    assert b"content-security-policy" in headers
    assert headers[b"x-content-type-options"] == b"nosniff"


@pytest.mark.django_db(transaction=True)
async def test_the_middleware_chain_and_the_view_share_one_thread_away_from_the_event_loop(operator, monkeypatch):
    from calls import api

    token = await sync_to_async(Token.objects.create)(user=operator)
    loop_thread = threading.get_ident()
    seen = {}
    original_post = api.CallListCreateApi.post

    def spy_post(self, request):
        seen["view"] = threading.get_ident()
        return original_post(self, request)

    from dispatch import audit

    original_call = audit.AuditAddressMiddleware.__call__

    def spy_middleware(self, request):
        seen["middleware"] = threading.get_ident()
        return original_call(self, request)

    monkeypatch.setattr(api.CallListCreateApi, "post", spy_post)
    monkeypatch.setattr(audit.AuditAddressMiddleware, "__call__", spy_middleware)
    # A fresh application, so the chain is built with the spies in place.
    from dispatch.asgi_handler import SyncChainASGIHandler

    handler = SyncChainASGIHandler()
    status, _, _ = await _request(
        "POST", "/api/v1/calls/", body=b'{"notes": "tanpa nomor"}', app=handler,
        headers=[(b"authorization", f"Token {token.key}".encode()), (b"content-type", b"application/json")],
    )

    assert status == 201
    assert seen["view"] == seen["middleware"] != loop_thread
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)


@pytest.mark.django_db(transaction=True)
async def test_errors_keep_their_status_through_asgi(operator):
    token = await sync_to_async(Token.objects.create)(user=operator)
    auth = [(b"authorization", f"Token {token.key}".encode()), (b"content-type", b"application/json")]

    missing, _, _ = await _request("GET", "/api/v1/calls/999999999/", headers=auth)
    malformed, _, body = await _request("POST", "/api/v1/calls/", body=b"{not json", headers=auth)
    anonymous, _, _ = await _request("GET", "/api/v1/calls/")

    assert missing == 404
    assert malformed == 400 and json.loads(body)["detail"]
    assert anonymous in (401, 403)
