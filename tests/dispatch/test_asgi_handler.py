"""HTTP through the real ASGI application: each request is served in one trip to a reused thread."""

import asyncio
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.utils import timezone
from dispatch.tokens import token_create

from calls.models import Call


def _application():
    from dispatch.asgi import application

    return application


async def _request(method: str, path: str, *, body: bytes = b"", headers=(), app=None):
    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
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
    token = await sync_to_async(token_create)(user=operator)
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

    token = await sync_to_async(token_create)(user=operator)
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
    token = await sync_to_async(token_create)(user=operator)
    auth = [(b"authorization", f"Token {token.key}".encode()), (b"content-type", b"application/json")]

    missing, _, _ = await _request("GET", "/api/v1/calls/999999999/", headers=auth)
    malformed, _, body = await _request("POST", "/api/v1/calls/", body=b"{not json", headers=auth)
    anonymous, _, _ = await _request("GET", "/api/v1/calls/")

    assert missing == 404
    assert malformed == 400 and json.loads(body)["detail"]
    assert anonymous in (401, 403)


def _request_threads() -> int:
    """The threads request handlers run views on (named "http_N"); other threads of the process
    (the database pool's workers, the event publisher) come and go on their own."""
    return sum(1 for thread in threading.enumerate() if thread.name.startswith("http_"))


def _token_headers(token):
    return [(b"authorization", f"Token {token.key}".encode()), (b"content-type", b"application/json")]


@pytest.mark.django_db(transaction=True)
async def test_the_request_signals_run_on_the_views_thread_and_the_thread_serves_the_next_request(operator, monkeypatch):
    from django.core import signals

    from calls import api
    from dispatch.asgi_handler import SyncChainASGIHandler

    token = await sync_to_async(token_create)(user=operator)
    seen = []
    original_get = api.CallListCreateApi.get

    def spy_get(self, request):
        seen.append(("view", threading.get_ident()))
        return original_get(self, request)

    def started(**kwargs):
        seen.append(("started", threading.get_ident()))

    def finished(**kwargs):
        # request_finished hands the database connection back: it must run where the view used it.
        seen.append(("finished", threading.get_ident()))

    monkeypatch.setattr(api.CallListCreateApi, "get", spy_get)
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    handler = SyncChainASGIHandler()
    try:
        threads_before = _request_threads()
        first, _, _ = await _request("GET", "/api/v1/calls/", headers=_token_headers(token), app=handler)
        threads_after_first = _request_threads()
        second, _, _ = await _request("GET", "/api/v1/calls/", headers=_token_headers(token), app=handler)
        threads_after_second = _request_threads()
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)

    assert first == second == 200
    assert [step for step, _ in seen] == ["started", "view", "finished"] * 2
    assert len({thread for _, thread in seen}) == 1
    assert seen[0][1] != threading.get_ident()
    # The second request started no thread: it was served by the first one's.
    assert threads_after_first <= threads_before + 1
    assert threads_after_second == threads_after_first
    assert len(handler._idle_threads) == 1


@pytest.mark.django_db(transaction=True)
async def test_requests_in_flight_at_once_never_share_a_thread(operator, monkeypatch):
    from calls import api
    from dispatch.asgi_handler import SyncChainASGIHandler

    token = await sync_to_async(token_create)(user=operator)
    inside = threading.Barrier(3, timeout=10)
    threads = []
    original_get = api.CallListCreateApi.get

    def waiting_get(self, request):
        threads.append(threading.get_ident())
        inside.wait()  # only passes once all three views run at the same time
        return original_get(self, request)

    monkeypatch.setattr(api.CallListCreateApi, "get", waiting_get)
    handler = SyncChainASGIHandler(other_requests=0)  # no limit: three views at once
    answers = await asyncio.gather(*(
        _request("GET", "/api/v1/calls/", headers=_token_headers(token), app=handler) for _ in range(3)
    ))

    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert len(set(threads)) == 3
    assert len(handler._idle_threads) == 3


@pytest.mark.django_db(transaction=True)
async def test_a_streamed_export_is_read_and_closed_on_the_requests_thread(supervisor, monkeypatch):
    from django.core import signals

    from calls.models import Call as CallModel
    from reports import exports
    from dispatch.asgi_handler import SyncChainASGIHandler

    await sync_to_async(CallModel.objects.create)(notes="ekspor", received_at=timezone.now())
    token = await sync_to_async(token_create)(user=supervisor)
    seen = []
    original_rows = exports.call_rows

    def spy_rows(period):
        for row in original_rows(period):
            seen.append(("row", threading.get_ident()))
            yield row

    def finished(**kwargs):
        seen.append(("finished", threading.get_ident()))

    monkeypatch.setattr(exports, "call_rows", spy_rows)
    signals.request_finished.connect(finished)
    handler = SyncChainASGIHandler()
    try:
        day = timezone.localdate().isoformat()
        status, headers, body = await _request(
            "GET", f"/api/v1/reports/daily/?date={day}&format=csv", headers=_token_headers(token), app=handler,
        )
    finally:
        signals.request_finished.disconnect(finished)

    assert status == 200, body
    assert headers[b"content-type"].startswith(b"text/csv")
    lines = body.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("external_id,") and len(lines) == 2
    assert [step for step, _ in seen] == ["row", "finished"]
    assert len({thread for _, thread in seen}) == 1 and seen[0][1] != threading.get_ident()


@pytest.mark.django_db(transaction=True)
async def test_after_a_burst_only_so_many_idle_threads_are_kept(operator, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from calls import api
    from dispatch import asgi_handler

    created = []

    class Recorded(ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    token = await sync_to_async(token_create)(user=operator)
    inside = threading.Barrier(3, timeout=10)
    original_get = api.CallListCreateApi.get

    def waiting_get(self, request):
        inside.wait()  # three requests in flight at once: three threads
        return original_get(self, request)

    monkeypatch.setattr(api.CallListCreateApi, "get", waiting_get)
    monkeypatch.setattr(asgi_handler, "ThreadPoolExecutor", Recorded)
    handler = asgi_handler.SyncChainASGIHandler(max_idle_threads=2, other_requests=0)
    answers = await asyncio.gather(*(
        _request("GET", "/api/v1/calls/", headers=_token_headers(token), app=handler) for _ in range(3)
    ))

    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert len(created) == 3 and len(handler._idle_threads) == 2
    [let_go] = [executor for executor in created if executor not in handler._idle_threads]
    with pytest.raises(RuntimeError):
        let_go.submit(print)  # shut down: its thread has ended
    assert handler._idle_threads[0].submit(int).result(timeout=5) == 0  # the kept ones still serve


@pytest.mark.django_db(transaction=True)
async def test_a_new_call_is_recorded_while_every_place_for_other_requests_is_taken(operator, monkeypatch):
    from calls import api
    from dispatch.asgi_handler import SyncChainASGIHandler

    token = await sync_to_async(token_create)(user=operator)
    inside, release = threading.Event(), threading.Event()
    entered = []
    original_get = api.CallListCreateApi.get

    def held_get(self, request):
        entered.append(request.GET.get("n"))
        inside.set()
        release.wait(10)
        return original_get(self, request)

    monkeypatch.setattr(api.CallListCreateApi, "get", held_get)
    handler = SyncChainASGIHandler(other_requests=1)
    first = asyncio.ensure_future(_request("GET", "/api/v1/calls/?n=1", headers=_token_headers(token), app=handler))
    await asyncio.get_running_loop().run_in_executor(None, inside.wait, 10)
    second = asyncio.ensure_future(_request("GET", "/api/v1/calls/?n=2", headers=_token_headers(token), app=handler))
    await asyncio.sleep(0.2)

    # The one place is taken and the second lookup waits for it; a ringing call does not.
    status, _, body = await _request(
        "POST", "/api/v1/calls/", body=json.dumps({"caller_number": "081273009876"}).encode(),
        headers=[*_token_headers(token), (b"idempotency-key", b"lane-1")], app=handler,
    )
    assert status == 201, body
    # Nor does the load balancer's probe.
    probe, _, _ = await _request("GET", "/health/ready", app=handler)
    assert probe == 200
    assert entered == ["1"] and not second.done()

    release.set()
    assert [answer[0] for answer in await asyncio.gather(first, second)] == [200, 200]
    assert entered == ["1", "2"]


def test_only_a_new_calls_post_is_intake_and_only_it_and_the_probes_never_wait():
    from dispatch.asgi_handler import is_intake, never_waits

    assert is_intake({"method": "POST", "path": "/api/v1/calls/"})
    assert is_intake({"method": "POST", "path": "/api/v1/telephony/events/"})
    assert is_intake({"method": "POST", "path": "/api/v1/aml/"})
    assert is_intake({"method": "POST", "path": "/api/v1/calls/42/claim/"})  # answering a ringing call
    assert not is_intake({"method": "POST", "path": "/api/v1/calls/x/claim/"})
    assert not is_intake({"method": "POST", "path": "/api/v1/calls/42/claim/extra"})
    assert not is_intake({"method": "GET", "path": "/api/v1/calls/"})
    assert not is_intake({"method": "POST", "path": "/api/v1/calls/7/classify/"})
    assert not is_intake({"method": "POST", "path": "/api/v1/incidents/3/dispatch/"})
    assert never_waits({"method": "GET", "path": "/health/ready"}) and never_waits({"method": "GET", "path": "/health/live"})
    assert never_waits({"method": "POST", "path": "/api/v1/calls/"})
    assert not never_waits({"method": "GET", "path": "/api/v1/calls/"})
    assert not never_waits({"method": "GET", "path": "/"})
