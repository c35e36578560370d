"""Django's ASGI handler, with the middleware chain and the view run in one thread hop.

Django's own handler builds the chain for async use. Where a middleware is synchronous only (five
of ours and WhiteNoise), every request crosses from the event loop into a thread for the outer
part of the chain, back into the event loop for the inner part, and into a thread again for
the view: two round trips, each through asgiref's thread executors. Every view here is
synchronous, so this handler builds the chain the way the WSGI handler does and runs it whole
in one `sync_to_async` call: one round trip. Body reading, the response and client disconnects
are Django's own code, unchanged. Measured in `docs/scaling.md`.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import FileResponse


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)
        # Built once: the wrapper holds no per-request state (the thread is chosen per call).
        self._response_in_thread = sync_to_async(self._get_response_in_thread, thread_sensitive=True)

    async def run_get_response(self, request):
        return await self._response_in_thread(request)

    def _get_response_in_thread(self, request):
        response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the ASGI server chunks the file itself
        return response
