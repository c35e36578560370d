"""Notifications to people outside the dashboard, through a small adapter.

`log` (the default) writes the message to the log; `telegram` calls the
Telegram Bot API `sendMessage`. A Notification row is created in the
transaction that decides it is needed and sent by a task after commit; the
task claims the row with a conditional UPDATE so it is sent once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agencies.models import DutyRoster
from dispatch.models import Dispatch, Notification
from dispatch.shifts import shift_of

logger = logging.getLogger(__name__)
CLAIM_SECONDS = 60
MAX_ATTEMPTS = 5
# After a failed attempt the next one waits 10 s, 20 s, 40 s, ... (at most 5 minutes),
# so a Telegram outage of a few minutes does not use up every attempt.
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 300


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def _due(now: datetime) -> Q:
    """Pending and past its retry time, or a claim whose sender died."""
    return Q(status=Notification.Status.PENDING) & (Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)) | Q(
        status=Notification.Status.SENDING, claimed_until__lt=now
    )


class NotifyError(Exception):
    pass


class Notifier(Protocol):
    channel: str

    def send(self, recipient: str, text: str) -> None: ...


class LogNotifier:
    channel = "log"

    def send(self, recipient: str, text: str) -> None:
        logger.info("notification to %s: %s", recipient, text)


class TelegramNotifier:
    channel = "telegram"

    def __init__(self, token: str, api_base: str, timeout: float = 5.0):
        self.token, self.api_base, self.timeout = token, api_base.rstrip("/"), timeout

    def send(self, recipient: str, text: str) -> None:
        url = f"{self.api_base}/bot{self.token}/sendMessage"
        try:
            response = httpx.post(url, json={"chat_id": recipient, "text": text}, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise NotifyError(f"telegram unreachable: {exc.__class__.__name__}") from exc
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or not body.get("ok"):
            raise NotifyError(f"telegram refused: {response.status_code} {body.get('description', '')}")


def get_notifier() -> Notifier:
    if settings.NOTIFY_BACKEND == "telegram" and settings.TELEGRAM_BOT_TOKEN:
        return TelegramNotifier(settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_BASE)
    return LogNotifier()


def duty_officer_recipients(dispatch: Dispatch, *, now: datetime) -> list[str]:
    """Chat ids of the agency's duty officers on the current shift, else the agency's own chat."""
    day, shift = shift_of(now)
    chats = list(
        DutyRoster.objects.filter(agency=dispatch.agency, date=day, shift=shift, is_duty_officer=True)
        .select_related("user__membership")
        .values_list("user__membership__telegram_chat_id", "user__username")
    )
    recipients = [chat or f"user:{username}" for chat, username in chats]
    if not recipients:
        recipients = [dispatch.agency.telegram_chat_id or f"agency:{dispatch.agency.code}"]
    return recipients


def queue_duty_officer_notifications(dispatch: Dispatch, *, now: datetime) -> list[Notification]:
    """Inside the escalation transaction: one notification per duty officer, sent after commit."""
    incident = dispatch.incident
    text = (
        f"[112 Kota Bengkulu] Pengiriman #{dispatch.pk} ke {dispatch.agency.code} belum diterima sejak "
        f"{timezone.localtime(dispatch.dispatched_at):%H:%M} WIB. Kejadian: {incident.incident_type.label_id} "
        f"(prioritas {incident.priority}) {incident.address or ''}".strip()
    )
    created = []
    for recipient in duty_officer_recipients(dispatch, now=now):
        notification, made = Notification.objects.get_or_create(
            kind="duty_officer",
            dispatch=dispatch,
            recipient=recipient,
            defaults={"channel": get_notifier().channel, "text": text, "created_at": now},
        )
        if made:
            created.append(notification)
            transaction.on_commit(lambda pk=notification.pk: _enqueue(pk))
    return created


def _enqueue(notification_id: int) -> None:
    from dispatch.tasks import send_notification

    try:
        send_notification.delay(notification_id)
    except Exception:  # noqa: BLE001 - the sweep re-sends what is still pending
        logger.warning("could not queue notification %s; the sweep will send it", notification_id, exc_info=True)


def notification_send(notification_id: int, *, notifier: Notifier | None = None) -> bool:
    """Claim and send one notification. Returns True when this call sent it."""
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, attempts__lt=MAX_ATTEMPTS)
        .filter(_due(now))
        .update(status=Notification.Status.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    notification = Notification.objects.get(pk=notification_id)
    notifier = notifier or get_notifier()
    try:
        notifier.send(notification.recipient, notification.text)
    except NotifyError as exc:
        final = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id, status=Notification.Status.SENDING).update(
            status=Notification.Status.FAILED if final else Notification.Status.PENDING,
            error=str(exc)[:500],
            claimed_until=None if final else timezone.now() + retry_delay(notification.attempts),
        )
        return False
    Notification.objects.filter(pk=notification_id, status=Notification.Status.SENDING).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), error=""
    )
    return True


def pending_notification_ids(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Notification.objects.filter(attempts__lt=MAX_ATTEMPTS)
        .filter(_due(now))
        .values_list("pk", flat=True)[:100]
    )

