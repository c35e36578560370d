"""ASGI lifespan: start-up tuning, the in-process sweep of the embedded default, and the stand-in
sweep when the task queue's has stalled (see `dispatch.sweep`)."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


async def _sweep_forever(period: float) -> None:
    from dispatch.sweep import run_sweep

    while True:
        try:
            await sync_to_async(run_sweep, thread_sensitive=True)(runner="web")
        except Exception:  # noqa: BLE001 - the next pass tries again
            logger.exception("sweep failed")
        await asyncio.sleep(period)


def _sweep_here_if_stalled(since, stalled_after) -> dict | None:
    from django.db import connections

    from dispatch.sweep import sweep_if_stalled

    try:
        return sweep_if_stalled(since=since, stalled_after=stalled_after)
    finally:
        connections.close_all()  # a pooled thread, not a request's: hand its connection back


async def _stand_in_for_the_task_sweep(period: float, stalled_after: timedelta) -> None:
    """Every `period`, sweep here if no task sweep has finished for `stalled_after`.

    In an executor thread, not the shared one that sockets' database calls use: a sweep that
    waits on a slow notification channel holds up nobody."""
    since = timezone.now()
    standing_in = False
    while True:
        await asyncio.sleep(period)
        try:
            result = await sync_to_async(_sweep_here_if_stalled, thread_sensitive=False)(since, stalled_after)
        except Exception:  # noqa: BLE001 - the next pass tries again
            logger.exception("stand-in sweep failed")
            continue
        if (result is not None) != standing_in:
            standing_in = result is not None
            if standing_in:
                logger.warning("no sweep from the task queue for %ss (Redis, Celery beat or its worker down?): "
                               "this web process sweeps every %ss until it is back", stalled_after.total_seconds(), period)
            else:
                logger.warning("the task queue sweeps again; this web process stops standing in")


def _poll_hazard_feeds(stale_after: timedelta) -> dict:
    from django.db import connections

    from hazards.services import feeds_poll_due

    try:
        return feeds_poll_due(stale_after=stale_after)
    finally:
        connections.close_all()


async def _poll_hazards_forever(period: float, stale_after: timedelta) -> None:
    """The hazard feeds' poll, here: every poll of the embedded default, or, beside Celery beat, a feed
    the task queue has not polled for `stale_after` (each feed is claimed, so it is polled once)."""
    while True:
        try:
            await sync_to_async(_poll_hazard_feeds, thread_sensitive=False)(stale_after)
        except Exception:  # noqa: BLE001 - the next pass tries again
            logger.exception("hazard feed poll failed")
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
    from hazards.parsing import cap_schema

    cap_schema()  # the CAP 1.2 schema, built once here (about a second) rather than on the first pushed alert


class Lifespan:
    def __init__(self):
        self.task: asyncio.Task | None = None
        self.hazard_task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if settings.EMBEDDED_SCHEDULER:
                    self.task = asyncio.create_task(_sweep_forever(settings.SWEEP_SECONDS))
                elif settings.SWEEP_FALLBACK_SECONDS > 0:
                    self.task = asyncio.create_task(
                        _stand_in_for_the_task_sweep(settings.SWEEP_SECONDS, timedelta(seconds=settings.SWEEP_FALLBACK_SECONDS))
                    )
                if settings.HAZARD_FEED_URLS:
                    poll = settings.HAZARD_POLL_SECONDS
                    stale = poll if settings.EMBEDDED_SCHEDULER else poll + max(settings.SWEEP_FALLBACK_SECONDS, 1)
                    self.hazard_task = asyncio.create_task(_poll_hazards_forever(poll, timedelta(seconds=stale)))
                # Objects alive after start-up are long-lived; keep full collections from rescanning them.
                _load_lazy_modules()
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in (self.task, self.hazard_task):
                    if task:
                        task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return
