"""A Celery worker killed with SIGKILL in the middle of sending an escalation notification:
the notification still goes out exactly once (claimed by conditional UPDATE; the sweep re-sends)."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest

from tests.faults.support import FakeTelegram, kill_celery, overdue_dispatch, start_celery
from tests.servers import current_database_url

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_telegram():
    """Its first request hangs: the worker is killed while waiting for the answer."""
    fake = FakeTelegram(hang_first=True)
    yield fake
    fake.close()


def test_worker_killed_mid_send_notification_goes_out_exactly_once(operator, settings, throwaway_redis, fake_telegram,
                                                                   broker_for_this_process):
    import time_machine

    from dispatch.models import Notification
    from dispatch.sweep import run_sweep

    settings.NOTIFY_BACKEND = "telegram"
    settings.TELEGRAM_BOT_TOKEN = "123:fault"
    settings.TELEGRAM_API_BASE = fake_telegram.url
    worker_env = dict(
        os.environ, DATABASE_URL=current_database_url(), REDIS_URL=throwaway_redis.url, NOTIFY_BACKEND="telegram",
        TELEGRAM_BOT_TOKEN="123:fault", TELEGRAM_API_BASE=fake_telegram.url, LOG_LEVEL="WARNING",
    )
    worker = start_celery("worker", "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip",
                          "--without-mingle", env=worker_env)
    try:
        dispatch = overdue_dispatch(operator)
        from dispatch.services import escalate_overdue

        assert escalate_overdue(officer_after=timedelta(seconds=120)) == [dispatch.pk]  # level 2: notification queued
        notification = Notification.objects.get(dispatch=dispatch)
        assert fake_telegram.first_arrived.wait(30), "the worker never started sending"
        os.killpg(worker.pid, signal.SIGKILL)  # mid-task: the request is in flight
        worker.wait(timeout=10)
        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENDING and fake_telegram.delivered == []

        # Another pass of the sweep before the claim expires changes nothing...
        assert run_sweep()["notifications_sent"] == 0
        # ...and after it expires, the sweep sends it; later passes (and a redelivered task) do not send again.
        later = notification.claimed_until + timedelta(seconds=1)
        with time_machine.travel(later, tick=True):
            assert run_sweep()["notifications_sent"] == 1
            assert run_sweep()["notifications_sent"] == 0
            from dispatch.notifications import notification_send

            assert notification_send(notification.pk) is False
        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENT
        assert len(fake_telegram.delivered) == 1
        assert Notification.objects.filter(dispatch=dispatch).count() == 1
    finally:
        kill_celery(worker)
