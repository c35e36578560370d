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
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.task:
                    self.task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return
