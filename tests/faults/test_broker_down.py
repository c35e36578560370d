"""The Celery broker (Redis) down while work that queues tasks happens.

Nothing waits on the broker for more than 2 s, and nothing is lost: the duty officers'
notifications of an escalation and the supervisors' daily digest are rows in PostgreSQL,
so once Redis is back a real beat and worker send each of them exactly once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError

from tests.faults.support import SPOOL_ENV, kill_celery, overdue_dispatch, spooled_subjects, start_celery
from tests.servers import current_database_url

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.django_db(transaction=True)]

DISPATCHES = 5
BLOCK_LIMIT_SECONDS = 2.0


def _timed(fn, durations: list[float]):
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            durations.append(time.perf_counter() - started)

    return timed


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.2)


def _queue_drained(redis_port: int) -> bool:
    def length(*command: str) -> int:
        out = subprocess.run(["redis-cli", "-p", str(redis_port), *command], capture_output=True, text=True).stdout
        return int(out.strip() or 0)

    return length("llen", "celery") == 0 and length("hlen", "unacked") == 0


def test_work_queued_while_the_broker_is_down_never_waits_and_is_done_exactly_once(
    operator, make_user, settings, monkeypatch, tmp_path, throwaway_redis, fake_telegram, broker_for_this_process
):
    from dispatch import notifications
    from dispatch.models import Dispatch, DispatchTransition, Notification
    from reports.models import DailyDigest
    from dispatch.services import escalate_overdue
    from dispatch.tasks import send_notification, sweep

    settings.NOTIFY_BACKEND, settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_BASE = "telegram", "123:fault", fake_telegram.url
    # Live events go to the same Redis, as in production: it is down for them too.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [throwaway_redis.url], "prefix": "d112fault"},
        }
    }
    boss = make_user("supervisor", username="boss")
    boss.email = "boss@bengkulukota.go.id"
    boss.save()
    dispatches = [overdue_dispatch(operator, caller_number=f"0812345{i:05d}") for i in range(DISPATCHES)]
    publishes: list[float] = []
    monkeypatch.setattr(notifications, "_enqueue", _timed(notifications._enqueue, publishes))

    throwaway_redis.stop()
    # Beat's message for the sweep is lost while Redis is down; its publish gives up at once.
    started = time.perf_counter()
    with pytest.raises(OperationalError):
        sweep.delay()
    beat_publish = time.perf_counter() - started
    # A sweep pass escalates to level 2: one notification per dispatch, each queued after commit.
    started = time.perf_counter()
    escalated = escalate_overdue(officer_after=timedelta(seconds=120))
    escalation_pass = time.perf_counter() - started
    figures = (f"beat publish {beat_publish:.3f} s, escalation pass of {DISPATCHES} dispatches {escalation_pass:.3f} s, "
               f"slowest task publish {max(publishes):.3f} s of {len(publishes)}")
    print(figures)
    assert sorted(escalated) == sorted(d.pk for d in dispatches)
    assert len(publishes) == DISPATCHES
    assert max(publishes) < BLOCK_LIMIT_SECONDS, figures
    assert beat_publish < BLOCK_LIMIT_SECONDS and escalation_pass < BLOCK_LIMIT_SECONDS, figures
    assert Notification.objects.filter(status="pending", attempts=0).count() == DISPATCHES
    assert fake_telegram.requests == []

    throwaway_redis.start()
    spool = tmp_path / "mail"
    spool.mkdir()
    env = dict(
        os.environ, DATABASE_URL=current_database_url(), REDIS_URL=throwaway_redis.url, CHANNEL_PREFIX="d112fault",
        NOTIFY_BACKEND="telegram", TELEGRAM_BOT_TOKEN="123:fault", TELEGRAM_API_BASE=fake_telegram.url,
        EMAIL_BACKEND="tests.faults.support.SpoolEmailBackend", **{SPOOL_ENV: str(spool)}, SWEEP_SECONDS="1",
        LOG_LEVEL="WARNING",
    )
    worker = start_celery("worker", "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip",
                          "--without-mingle", env=env)
    beat = start_celery("beat", "--loglevel", "WARNING", "--schedule", str(tmp_path / "beat-schedule"), env=env)
    try:
        recovered = time.monotonic()
        _wait_for(lambda: Notification.objects.filter(status="sent").count() == DISPATCHES
                  and DailyDigest.objects.filter(status="sent").exists(), 90, "the sends after Redis came back")
        recovery = time.monotonic() - recovered
        # Sends queued again (a message the broker kept, a retry) and more sweeps change nothing.
        for pk in Notification.objects.values_list("pk", flat=True):
            send_notification.delay(pk)
        _wait_for(lambda: _queue_drained(throwaway_redis.port), 30, "the worker draining the queue")
        time.sleep(3)  # three more sweep periods
        assert worker.poll() is None and beat.poll() is None
    finally:
        kill_celery(beat)
        kill_celery(worker)

    delivered = Counter(int(re.search(r"[Pp]engiriman #(\d+)", json.loads(body)["text"]).group(1)) for body in fake_telegram.delivered)
    subjects = spooled_subjects(spool)
    print(f"recovered in {recovery:.1f} s; telegram deliveries {sorted(delivered.values())}, digests mailed {len(subjects)}")
    assert delivered == Counter({d.pk: 1 for d in dispatches})
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert Notification.objects.count() == DISPATCHES
    assert set(Dispatch.objects.values_list("escalation_level", flat=True)) == {2}
    assert DispatchTransition.objects.filter(reason_code="officer_notified").count() == DISPATCHES
    digest = DailyDigest.objects.get()
    assert (digest.status, digest.attempts, digest.recipients) == ("sent", 1, 1)
    assert subjects == [f"[112 Kota Bengkulu] Ringkasan harian {digest.day.isoformat()}"]


def test_a_hung_broker_fails_a_publish_within_2s_and_later_ones_at_once(throwaway_redis, broker_for_this_process):
    from dispatch import notifications
    from dispatch.tasks import send_notification

    send_notification.delay(0)  # a live pooled connection, as in a process that has been running
    throwaway_redis.pause()
    try:
        started = time.perf_counter()
        with pytest.raises(OperationalError):
            send_notification.delay(0)
        raw_publish = time.perf_counter() - started
        queued: list[float] = []
        for pk in range(1, 4):
            started = time.perf_counter()
            notifications._enqueue(pk)
            queued.append(time.perf_counter() - started)
    finally:
        throwaway_redis.resume()
    figures = f"publish to a hung broker {raw_publish:.3f} s; queueing three notifications {[round(t, 3) for t in queued]} s"
    print(figures)
    assert raw_publish < BLOCK_LIMIT_SECONDS, figures
    assert queued[0] < BLOCK_LIMIT_SECONDS, figures
    assert max(queued[1:]) < 0.05, figures  # publishing is paused after the failure; the sweep sends them
