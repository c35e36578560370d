"""Messages to people outside the dashboard: duty officers' notifications and the supervisors' daily digest.

Notifications go through a small adapter: `log` (the default) writes the
message to the log; `telegram` calls the Telegram Bot API `sendMessage`. A
Notification row is created in the transaction that decides it is needed and
sent by a task after commit. The digest row of a day is created by the sweep
from 00:05 WIB the next day. Every sender claims the row with a conditional
UPDATE, so a message goes out once, and the sweep sends whatever a lost task
or an unreachable broker left pending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Protocol

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from agencies.models import DutyRoster
from dispatch.models import Delivery, Dispatch, Notification
from dispatch.shifts import WIB, shift_of

logger = logging.getLogger(__name__)
CLAIM_SECONDS = 60
MAX_ATTEMPTS = 5
# After a failed attempt the next one waits 10 s, 20 s, 40 s, ... (at most 5 minutes),
# so a Telegram outage of a few minutes does not use up every attempt.
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 300
# After a publish to the Celery broker fails, later ones are skipped for this long: the sweep
# sends what is pending, and a pass that escalates many dispatches does not wait on a dead broker
# once for each.
PUBLISH_PAUSE_SECONDS = 30


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def _due(now: datetime) -> Q:
    """Pending and past its retry time, or a claim whose sender died."""
    return Q(status=Delivery.Status.PENDING) & (Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)) | Q(
        status=Delivery.Status.SENDING, claimed_until__lt=now
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
    return agency_duty_recipients(dispatch.agency, now=now)


def agency_duty_recipients(agency, *, now: datetime) -> list[str]:
    """Chat ids of an agency's duty officers on the current shift, else the agency's own chat."""
    day, shift = shift_of(now)
    chats = list(
        DutyRoster.objects.filter(agency=agency, date=day, shift=shift, is_duty_officer=True)
        .select_related("user__membership")
        .values_list("user__membership__telegram_chat_id", "user__username")
    )
    recipients = [chat or f"user:{username}" for chat, username in chats]
    if not recipients:
        recipients = [agency.telegram_chat_id or f"agency:{agency.code}"]
    return recipients


def duty_officer_text(dispatch: Dispatch) -> str:
    """The escalation message, led by the incident's number ("Kejadian #N") that the floor, the
    agency console and the exports all use; the dispatch's own number comes last."""
    incident = dispatch.incident
    place = f" di {incident.address}" if incident.address else ""
    return (
        f"[112 Kota Bengkulu] Kejadian #{incident.pk}: {incident.incident_type.label_id} "
        f"(prioritas {incident.priority}){place}. {dispatch.agency.code} belum menerima sejak "
        f"{timezone.localtime(dispatch.dispatched_at):%H:%M} WIB (pengiriman #{dispatch.pk})."
    )


def queue_agency_notifications(*, kind: str, agencies, text: str, now: datetime) -> list[Notification]:
    """Inside the deciding transaction: one notification per duty officer of each agency, sent after commit
    (a disaster alert to BPBD, BASARNAS and DAMKAR). The caller queues them with `enqueue_after_commit`
    once its `events.atomic()` block has ended, so the live events go out before the broker is asked;
    a notification never queued is still sent by the sweep."""
    created = []
    for agency in agencies:
        for recipient in agency_duty_recipients(agency, now=now):
            notification = Notification.objects.create(
                kind=kind, recipient=recipient, channel=get_notifier().channel, text=text, created_at=now
            )
            created.append(notification)
    return created


def enqueue_after_commit(notification_ids: list[int]) -> None:
    """Queue the sends of these notifications once the current transaction (if any) commits."""
    for pk in notification_ids:
        transaction.on_commit(lambda pk=pk: _enqueue(pk))


def queue_duty_officer_notifications(dispatch: Dispatch, *, now: datetime) -> list[Notification]:
    """Inside the escalation transaction: one notification per duty officer, sent after commit."""
    text = duty_officer_text(dispatch)
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
    enqueue_after_commit([n.pk for n in created])
    return created


_publish_lock = threading.Lock()
_publish = {"paused_until": 0.0}


def _enqueue(notification_id: int) -> None:
    """Queue the send; never waits long on the broker (its timeouts are in settings) and never fails the caller."""
    from dispatch.tasks import send_notification

    with _publish_lock:
        if time.monotonic() < _publish["paused_until"]:
            logger.info("broker unavailable; notification %s waits for the sweep", notification_id)
            return
    try:
        send_notification.delay(notification_id)
    except Exception:  # noqa: BLE001 - the sweep re-sends what is still pending
        with _publish_lock:
            _publish["paused_until"] = time.monotonic() + PUBLISH_PAUSE_SECONDS
        logger.warning("could not queue notification %s; the sweep will send it", notification_id, exc_info=True)


def deliver(rows: QuerySet, send: Callable[[Delivery], dict | None], *, errors: tuple[type[Exception], ...]) -> bool:
    """Claim the one row of `rows` if it is due, send it, record the outcome. Returns True when this call sent it.

    `send` returns extra fields to store with the sent row; an exception of `errors`
    leaves the row pending for a later attempt (failed after MAX_ATTEMPTS)."""
    now = timezone.now()
    claimed = (
        rows.filter(attempts__lt=MAX_ATTEMPTS)
        .filter(_due(now))
        .update(status=Delivery.Status.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    row = rows.get()
    sending = rows.filter(status=Delivery.Status.SENDING)
    try:
        extra = send(row) or {}
    except errors as exc:
        final = row.attempts >= MAX_ATTEMPTS
        sending.update(
            status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
            error=str(exc)[:500],
            claimed_until=None if final else timezone.now() + retry_delay(row.attempts),
        )
        return False
    sending.update(status=Delivery.Status.SENT, sent_at=timezone.now(), error="", **extra)
    return True


def notification_send(notification_id: int, *, notifier: Notifier | None = None) -> bool:
    """Claim and send one notification. Returns True when this call sent it."""

    def send(notification: Notification) -> None:
        (notifier or get_notifier()).send(notification.recipient, notification.text)

    return deliver(Notification.objects.filter(pk=notification_id), send, errors=(NotifyError,))


def pending_notification_ids(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Notification.objects.filter(attempts__lt=MAX_ATTEMPTS)
        .filter(_due(now))
        .values_list("pk", flat=True)[:100]
    )

