"""Background work: polling the hazard feeds (Celery beat every HAZARD_POLL_SECONDS)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=120)
def poll_feeds() -> dict:
    """Poll the configured feeds that are due; each is claimed, so overlapping runs poll it once."""
    from hazards.services import feeds_poll_due

    return feeds_poll_due(stale_after=timedelta(seconds=max(1, settings.HAZARD_POLL_SECONDS // 2)))
