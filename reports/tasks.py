"""The reports' background work: thin wrappers that call the roll-up."""

from __future__ import annotations

from celery import shared_task

from reports.rollups import rollup_refresh


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=900, soft_time_limit=840)
def report_rollups() -> int:
    """Roll up the reports' complete days that are missing or stale (beat: every 10 minutes, CELERY_BEAT_SCHEDULE).

    Idempotent; each run of days is committed as it is built, so a killed run loses at most one."""
    return rollup_refresh()
