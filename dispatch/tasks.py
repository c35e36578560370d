"""Background work: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=60)
def sweep() -> dict:
    """The periodic sweep over the database: escalations, unsent notifications, the daily digest, overdue call-backs."""
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
