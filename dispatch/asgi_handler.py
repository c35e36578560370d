"""Django's ASGI handler, with each request served in one trip to a reused thread.

Every view here is synchronous, and five of our middlewares (and WhiteNoise) are synchronous
only. Django's own handler, for each request:
- starts a new thread (a fresh one-thread executor per request, for thread sensitivity);
- crosses into it for `request_started`, for the middleware chain and the view (its async chain
  crosses back and forth around each sync-only middleware), and once more for `response.close()`
  with `request_finished`.

Each crossing costs the event loop and the thread a wake-up, and the thread's start and end cost
more than the crossings. This handler:
- builds the chain the way the WSGI handler does (synchronous throughout);
- lends each request a one-thread executor from a free list (asgiref's
  `ThreadSensitiveContext(executor=...)`), so its thread outlives the request and serves the
  next one;
- runs `request_started`, the chain, the view and, for an ordinary response, `response.close()`
  (`request_finished`, which hands the database connection back to the pool) in one crossing.

The thread-sensitive contract is unchanged: everything one request runs synchronously runs on
its one thread, in order, and no two requests share a thread at the same time. A streaming
response (the CSV exports) is iterated and closed on that same thread by Django's own code,
which also stops the stream when the client goes away. Measured in `docs/scaling.md`.

Calls come first. A new call (`POST` to one of `INTAKE_PATHS`: the operator's or the phone
system's), an operator answering a ringing one (its claim) and the health probes always start at
once. Every other request (classification, lookups, pages, reports, exports) waits for one of
`settings.WEB_OTHER_REQUESTS` places per process before its view runs, and gives it back when its
response is built (a streamed export streams after that). Under normal load nothing waits. When
the machine is full, as in a disaster surge, the calls that ring are still recorded at once, and
the rest queues here, holding no thread and no database connection, instead of all of it slowing
down together.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.exceptions import RequestAborted
from django.http import FileResponse
from django.urls import set_script_prefix


# Idle threads kept for the next requests; beyond this (after a burst), a returned one is let go.
MAX_IDLE_THREADS = 64

# The requests that record a new call or answer a ringing one: never held back (see the module's
# docstring). The caller is on the line for these; everything else can wait a moment.
INTAKE_PATHS = frozenset({"/api/v1/calls/", "/api/v1/telephony/events/", "/api/v1/aml/"})
CLAIM_PATH = re.compile(r"/api/v1/calls/[0-9]+/claim/")
# Health probes never wait either: a load balancer must not take a process that still records
# calls out of rotation because its other requests queue in a surge.
PROBE_PATHS = frozenset({"/health/live", "/health/ready"})


def is_intake(scope) -> bool:
    return scope["method"] == "POST" and (scope["path"] in INTAKE_PATHS or CLAIM_PATH.fullmatch(scope["path"]) is not None)


def never_waits(scope) -> bool:
    return is_intake(scope) or scope["path"] in PROBE_PATHS


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self, *, max_idle_threads: int = MAX_IDLE_THREADS, other_requests: int | None = None):
        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)
        # Built once: the wrappers hold no per-request state (the thread comes from the context).
        self._serve_in_thread = sync_to_async(self._serve, thread_sensitive=True)
        self._close_in_thread = sync_to_async(self._close, thread_sensitive=True)
        # Idle one-thread executors, at most `max_idle_threads` of them.
        self._idle_threads: list[ThreadPoolExecutor] = []
        self._max_idle_threads = max_idle_threads
        # The places for requests other than intake, one semaphore per event loop (one per process
        # under uvicorn; tests may run several loops one after another).
        self._other_places = settings.WEB_OTHER_REQUESTS if other_requests is None else other_requests
        self._gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    def _gate(self, scope) -> asyncio.Semaphore | None:
        """The semaphore this request must pass before its view runs, or None for intake and probes."""
        if never_waits(scope) or not self._other_places:
            return None
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            for old in [old for old in self._gates if old.is_closed()]:
                del self._gates[old]
            gate = self._gates[loop] = asyncio.Semaphore(self._other_places)
        return gate

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # The loop runs one coroutine step at a time, so a plain list is a safe free list.
        thread = self._idle_threads.pop() if self._idle_threads else ThreadPoolExecutor(1, thread_name_prefix="http")
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            # Even if this request was cancelled while its view still runs, the executor runs one call
            # at a time: the next request's work waits behind it on the same thread.
            if len(self._idle_threads) < self._max_idle_threads:
                self._idle_threads.append(thread)
            else:
                thread.shutdown(wait=False)  # its thread ends once its work is done

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            async with self._gate(scope) or contextlib.nullcontext():
                response = await self._serve_in_thread(scope, body_file)
            if response.streaming:
                await self._stream(response, receive, send)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    def _serve(self, scope, body_file):
        """`request_started`, the request, the chain and the view; an ordinary response is also closed."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # the ASGI server chunks the file itself
        if not response.streaming:
            # Its content is in memory: `request_finished` (the connection back to its pool) need not
            # wait for the client to read it.
            response.close()
        return response

    @staticmethod
    def _close(response):
        response.close()

    async def _stream(self, response, receive, send):
        """Django's way: send while listening for a disconnect, which stops the stream; then close."""
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
            for task in (listening, sending):
                if not task.done():
                    task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, RequestAborted):
                    pass
        finally:
            await self._close_in_thread(response)
