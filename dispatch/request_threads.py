"""Reused threads for the synchronous part of HTTP requests.

Django's ASGI handler gives every request a thread of its own for its
synchronous code (middleware, views, the ORM) and joins it when the request
ends: two thread starts and a join per request. This wrapper hands each
request a one-thread executor from a free list instead, through asgiref's
documented `ThreadSensitiveContext(executor=...)`, so threads live on
between requests (as in a threaded WSGI server). Each request still has its
thread to itself for as long as it runs; database connections are closed at
the end of every request as before.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext


class ReusedRequestThreads:
    def __init__(self, app, *, keep: int = 64) -> None:
        self.app = app
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        executor = self.idle.pop() if self.idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        finished = False
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
            finished = True
        finally:
            # A request that ended early (cancelled, failed) may leave work queued: do not lend that thread again.
            if finished and len(self.idle) < self.keep:
                self.idle.append(executor)
            else:
                executor.shutdown(wait=False)
