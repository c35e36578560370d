"""One pass over every timer that must not be lost. Idempotent: run it as often as you like.

Celery beat runs it every SWEEP_SECONDS through the task queue. If no task sweep has finished for
SWEEP_FALLBACK_SECONDS (Redis, beat or the worker down), each web process runs it itself
(`sweep_if_stalled`), so an unacknowledged dispatch still escalates and its duty officers are
still notified; every step claims its rows, so sweeps running side by side do each thing once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from dispatch.models import SweepRun

logger = logging.getLogger(__name__)


def run_sweep(*, runner: str = "task") -> dict:
    from calls.callbacks import flag_overdue_callbacks
    from dispatch.notifications import digest_send_due, notification_send, pending_notification_ids
    from dispatch.services import escalate_overdue

    now = timezone.now()
    escalated = escalate_overdue(now=now, officer_after=timedelta(seconds=settings.ESCALATION_OFFICER_SECONDS))
    sent = 0
    for pk in pending_notification_ids(now=now):
        sent += bool(notification_send(pk))
    digest_sent = digest_send_due(now=now)
    overdue = flag_overdue_callbacks(now=now)
    SweepRun.objects.update_or_create(runner=runner, defaults={"finished_at": timezone.now()})
    return {"escalated": len(escalated), "notifications_sent": sent, "digests_sent": int(digest_sent), "callbacks_overdue": overdue}


def task_sweep_stalled(*, since: datetime, now: datetime, stalled_after: timedelta) -> bool:
    """Whether no task sweep has finished in the last `stalled_after`, counting from `since` at the earliest."""
    last = SweepRun.objects.filter(runner="task").values_list("finished_at", flat=True).first()
    return max(last or since, since) <= now - stalled_after


def sweep_if_stalled(*, since: datetime, stalled_after: timedelta, now: datetime | None = None) -> dict | None:
    """A web process's stand-in: run the sweep here if the task queue has not for `stalled_after`."""
    if not task_sweep_stalled(since=since, now=now or timezone.now(), stalled_after=stalled_after):
        return None
    return run_sweep(runner="web")
