"""Celery beat's scheduler, made to reconnect to the broker after a failed send.

Celery's scheduler makes its broker connection and producer once and keeps them. On one Redis
server that is enough: redis-py reconnects the same connection by itself. Through Sentinel, a
master that dies takes the channel with it, and kombu then refuses every later send ("channel
disconnected") until beat restarts, so the task sweep would stop for good after a failover (the
web processes' stand-in sweep would carry escalations meanwhile). Here a send that fails drops
the connection and producer, and the next tick makes new ones, asking the Sentinels for the
master again. The attributes dropped are the scheduler's `connection` and `producer` cached
properties (see docs/internals.md; guarded by tests/dispatch/test_beat.py).
"""

from __future__ import annotations

import logging

from celery.beat import PersistentScheduler, SchedulingError

logger = logging.getLogger(__name__)


class ReconnectingScheduler(PersistentScheduler):
    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        try:
            return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
        except SchedulingError:
            self.drop_broker_connection()
            raise

    def drop_broker_connection(self) -> None:
        """Forget the producer and the connection; the next send makes new ones."""
        self.__dict__.pop("producer", None)
        connection = self.__dict__.pop("connection", None)
        if connection is not None:
            try:
                connection.collect()  # release its sockets without talking to a broker that may be gone
            except Exception:  # noqa: BLE001 - it is being thrown away
                logger.debug("closing beat's broker connection failed", exc_info=True)
