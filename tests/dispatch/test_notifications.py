"""Notifications: the Telegram adapter against a local Bot API stand-in, retries
after failure, and a claim that keeps a message from going out twice."""

from __future__ import annotations

import socket
import threading

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from dispatch import notifications
from dispatch.models import Notification
from dispatch.notifications import LogNotifier, NotifyError, TelegramNotifier, get_notifier, notification_send
from dispatch.sweep import run_sweep

pytestmark = pytest.mark.django_db


def _notification(recipient="5001", text="uji"):
    return Notification.objects.create(kind="duty_officer", recipient=recipient, channel="telegram", text=text, created_at=timezone.now())


def test_backend_setting_picks_the_notifier(settings, telegram):
    assert isinstance(get_notifier(), TelegramNotifier)
    settings.NOTIFY_BACKEND = "log"
    assert isinstance(get_notifier(), LogNotifier)
    # Telegram without a token falls back to the log rather than failing every send.
    settings.NOTIFY_BACKEND, settings.TELEGRAM_BOT_TOKEN = "telegram", ""
    assert isinstance(get_notifier(), LogNotifier)


def test_telegram_notifier_calls_send_message(telegram):
    get_notifier().send("5001", "Pengiriman #1 belum diterima")
    assert telegram.calls == [
        {"path": "/bot123:test-token/sendMessage", "body": {"chat_id": "5001", "text": "Pengiriman #1 belum diterima"}}
    ]


def test_telegram_refusal_and_unreachable_server_are_notify_errors(telegram):
    telegram.fail_next = 1
    with pytest.raises(NotifyError, match="502"):
        get_notifier().send("5001", "x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(NotifyError, match="unreachable"):
        TelegramNotifier("t", f"http://127.0.0.1:{closed_port}", timeout=1).send("5001", "x")


def test_failure_then_retry_then_sent(telegram):
    notification = _notification()
    telegram.fail_next = 1
    assert notification_send(notification.pk) is False
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "502" in notification.error
    # Not again before its retry time (10 s after the first failure)...
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert run_sweep()["notifications_sent"] == 0
    assert len(telegram.calls) == 1
    # ...then the sweep picks up what is still pending and sends it.
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert run_sweep()["notifications_sent"] == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.error) == ("sent", 2, "")
    assert notification.sent_at is not None
    assert len(telegram.calls) == 2
    # Sent is final: nothing goes out again.
    assert notification_send(notification.pk) is False
    assert run_sweep()["notifications_sent"] == 0
    assert len(telegram.calls) == 2


def test_gives_up_after_max_attempts(telegram):
    notification = _notification()
    telegram.fail_next = 100
    moment = timezone.now()
    for _ in range(notifications.MAX_ATTEMPTS + 2):
        with time_machine.travel(moment, tick=False):
            notification_send(notification.pk)
        # The waits between attempts double: 10, 20, 40, 80 s.
        moment += timedelta(seconds=notifications.RETRY_MAX_SECONDS + 1)
    notification.refresh_from_db()
    assert notification.status == "failed" and notification.attempts == notifications.MAX_ATTEMPTS
    assert len(telegram.calls) == notifications.MAX_ATTEMPTS
    assert notification.pk not in notifications.pending_notification_ids()


def test_retry_delay_doubles_up_to_five_minutes():
    assert [notifications.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 6, 9)] == [10, 20, 40, 80, 300, 300]


def test_a_stale_claim_is_taken_over_but_a_live_one_is_not(telegram):
    notification = _notification()
    Notification.objects.filter(pk=notification.pk).update(status="sending", claimed_until=timezone.now() + timedelta(seconds=30), attempts=1)
    assert notification_send(notification.pk) is False
    assert telegram.calls == []
    Notification.objects.filter(pk=notification.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert notification_send(notification.pk) is True
    assert len(telegram.calls) == 1


@pytest.mark.services  # concurrent writers on row locks: PostgreSQL semantics
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_one_message(ref, telegram):
    notification = _notification()
    barrier = threading.Barrier(4)
    results = []

    def send():
        try:
            barrier.wait(timeout=10)
            results.append(notification_send(notification.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False, False, False, True]
    assert len(telegram.calls) == 1


def test_admins_see_the_daily_digests_read_only(ref, make_user):
    from datetime import date

    from django.test import Client
    from django.utils import timezone

    from reports.models import DailyDigest

    digest = DailyDigest.objects.create(day=date(2026, 11, 27), recipients=3, created_at=timezone.now())
    admin_user = make_user("admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    listing = client.get("/admin/reports/dailydigest/")
    assert listing.status_code == 200
    assert f"/admin/reports/dailydigest/{digest.pk}/change/" in listing.content.decode()
    assert client.get("/admin/reports/dailydigest/add/").status_code == 403


def test_the_duty_officer_message_names_the_incident_number_first(open_incident, operator, telegram, django_capture_on_commit_callbacks):
    from django.db import transaction

    from dispatch import services

    incident = open_incident("kebakaran_bangunan")
    [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        [notification] = notifications.queue_duty_officer_notifications(dispatch, now=timezone.now())
    assert notification.text.startswith(f"[112 Kota Bengkulu] Kejadian #{incident.pk}: ")
    assert f"pengiriman #{dispatch.pk}" in notification.text
    assert notification.text.index(f"Kejadian #{incident.pk}") < notification.text.index(f"#{dispatch.pk})")
    assert "DAMKAR belum menerima sejak" in notification.text and incident.address in notification.text
    assert notification_send(notification.pk)
    assert telegram.calls[-1]["body"]["text"] == notification.text
