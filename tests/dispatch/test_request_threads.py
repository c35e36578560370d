"""Reused request threads: each request's synchronous code runs on a thread of its own while it
runs, and threads are lent again to later requests instead of being started and joined per request."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from dispatch.request_threads import ReusedRequestThreads

HTTP = {"type": "http", "path": "/"}


def recording_app(idents: list[int], *, hold: asyncio.Event | None = None, fail: bool = False):
    async def app(scope, receive, send):
        idents.append(await sync_to_async(threading.get_ident)())
        if hold is not None:
            await hold.wait()
            idents.append(await sync_to_async(threading.get_ident)())
        if fail:
            raise RuntimeError("view failed")

    return app


async def noop(*_args):
    return None


async def test_sequential_requests_reuse_one_thread_that_is_not_the_event_loop():
    idents: list[int] = []
    app = ReusedRequestThreads(recording_app(idents))
    for _ in range(3):
        await app(HTTP, noop, noop)
    assert len(set(idents)) == 1
    assert idents[0] != threading.get_ident()


async def test_concurrent_requests_each_have_their_own_thread_for_their_whole_run():
    idents: list[int] = []
    hold = asyncio.Event()
    app = ReusedRequestThreads(recording_app(idents, hold=hold))
    first = asyncio.create_task(app(HTTP, noop, noop))
    second = asyncio.create_task(app(HTTP, noop, noop))
    while len(idents) < 2:
        await asyncio.sleep(0.01)
    hold.set()
    await asyncio.gather(first, second)
    a_start, b_start, *ends = idents
    assert a_start != b_start
    assert sorted(ends) == sorted([a_start, b_start])
    assert len(app.idle) == 2


async def test_a_failed_request_does_not_lend_its_thread_again():
    idents: list[int] = []
    app = ReusedRequestThreads(recording_app(idents, fail=True))
    with pytest.raises(RuntimeError):
        await app(HTTP, noop, noop)
    assert app.idle == []


async def test_only_http_goes_through_it():
    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    wrapped = ReusedRequestThreads(app)
    await wrapped({"type": "websocket"}, noop, noop)
    await wrapped({"type": "lifespan"}, noop, noop)
    assert seen == ["websocket", "lifespan"] and wrapped.idle == []


async def test_the_django_application_answers_through_it():
    from dispatch.asgi import application

    messages: list[dict] = []
    delivered = []

    async def receive():
        if not delivered:
            delivered.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/health/live", "raw_path": b"/health/live", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    await application(scope, receive, send)
    assert messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
