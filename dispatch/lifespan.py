"""ASGI lifespan: start-up tuning, and the in-process sweep of the embedded default."""

from __future__ import annotations

import asyncio
import gc
import logging

from asgiref.sync import sync_to_async
from django.conf import settings

logger = logging.getLogger(__name__)


async def _sweep_forever(period: float) -> None:
    from dispatch.sweep import run_sweep

    while True:
        try:
            await sync_to_async(run_sweep, thread_sensitive=True)()
        except Exception:  # noqa: BLE001 - the next pass tries again
            logger.exception("sweep failed")
        await asyncio.sleep(period)


def _load_lazy_modules() -> None:
    """Import now what the first requests and sockets would import: every view (through the URLconf)
    and the channel layer with its Redis client. Loaded later, their tens of thousands of objects stay
    out of the frozen generation and every full collection rescans them: measured at 20 calls/s with
    200 sockets, full collections took 25-50 ms with ~55,000 such objects and 9-24 ms without them,
    stalling every socket of the process meanwhile."""
    from django.urls import get_resolver
    from django.utils.module_loading import import_string

    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and so every view
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND")
    if backend:
        import_string(backend)


class Lifespan:
    def __init__(self):
        self.task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if settings.EMBEDDED_SCHEDULER:
                    self.task = asyncio.create_task(_sweep_forever(settings.SWEEP_SECONDS))
                # Objects alive after start-up are long-lived; keep full collections from rescanning them.
                _load_lazy_modules()
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.task:
                    self.task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return
