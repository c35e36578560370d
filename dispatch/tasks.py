"""Background work: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=60)
def sweep() -> dict:
    """The periodic sweep over the database: escalations, unsent notifications, overdue call-backs."""
    from dispatch.sweep import run_sweep

    return run_sweep()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_notification(notification_id: int) -> bool:
    from dispatch.notifications import notification_send

    return notification_send(notification_id)


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=240, autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def daily_digest(day: str | None = None) -> int:
    """Mail yesterday's (WIB) digest to supervisors; beat runs it at 00:05 WIB."""
    from datetime import date, timedelta

    from dispatch.reports import daily_digest_send
    from dispatch.shifts import wib_today

    return daily_digest_send(day=date.fromisoformat(day) if day else wib_today() - timedelta(days=1))
