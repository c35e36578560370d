"""A Celery worker killed with SIGKILL in the middle of sending an escalation notification:
the notification still goes out exactly once (claimed by conditional UPDATE; the sweep re-sends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.servers import ROOT, current_database_url, free_port

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.django_db(transaction=True)]


class FakeTelegram:
    """A Bot API `sendMessage` that hangs its first request (the worker dies meanwhile) and accepts the rest."""

    def __init__(self):
        self.requests: list[bytes] = []
        self.delivered: list[bytes] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append(body)
                if len(outer.requests) == 1:
                    outer.first_arrived.set()
                    outer.release.wait(60)
                    return  # the sender is dead by now; nothing was delivered
                outer.delivered.append(body)
                payload = b'{"ok": true, "result": {}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def fake_telegram():
    fake = FakeTelegram()
    yield fake
    fake.close()


def _overdue_dispatch(operator):
    from calls.services import call_classify, call_create
    from dispatch.models import Dispatch
    from dispatch.services import incident_dispatch

    call, _ = call_create(operator=operator, caller_number="081234500001", notes="kebakaran rumah")
    call = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    dispatch = incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])[0]
    long_ago = dispatch.dispatched_at - timedelta(minutes=30)
    Dispatch.objects.filter(pk=dispatch.pk).update(ack_deadline=long_ago, escalation_level=1, escalated_at=long_ago)
    return dispatch


def test_worker_killed_mid_send_notification_goes_out_exactly_once(operator, settings, throwaway_redis, fake_telegram):
    import time_machine

    from dispatch.celery import app
    from dispatch.models import Notification
    from dispatch.sweep import run_sweep

    settings.NOTIFY_BACKEND = "telegram"
    settings.TELEGRAM_BOT_TOKEN = "123:fault"
    settings.TELEGRAM_API_BASE = fake_telegram.url
    worker_env = dict(
        os.environ, DATABASE_URL=current_database_url(), REDIS_URL=throwaway_redis.url, NOTIFY_BACKEND="telegram",
        TELEGRAM_BOT_TOKEN="123:fault", TELEGRAM_API_BASE=fake_telegram.url, LOG_LEVEL="WARNING",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dispatch", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=worker_env, start_new_session=True,
    )
    # This process queues the task on the throwaway broker, as the web process would.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = throwaway_redis.url
    app._pool = None
    try:
        dispatch = _overdue_dispatch(operator)
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
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        app.conf.task_always_eager = True
        app._pool = None
