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
from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch import events
from dispatch.models import SweepRun
from dispatch.shifts import WIB

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
    _record(runner)
    return {"escalated": len(escalated), "notifications_sent": sent, "digests_sent": int(digest_sent), "callbacks_overdue": overdue}


def _last_sweep(runner: str) -> datetime | None:
    return SweepRun.objects.filter(runner=runner).values_list("finished_at", flat=True).first()


def task_sweep_stalled(*, since: datetime, now: datetime, stalled_after: timedelta) -> bool:
    """Whether no task sweep has finished in the last `stalled_after`, counting from `since` at the earliest."""
    last = _last_sweep("task")
    return max(last or since, since) <= now - stalled_after


def sweep_if_stalled(*, since: datetime, stalled_after: timedelta, now: datetime | None = None) -> dict | None:
    """A web process's stand-in: run the sweep here if the task queue has not for `stalled_after`."""
    now = now or timezone.now()
    if not task_sweep_stalled(since=since, now=now, stalled_after=stalled_after):
        return None
    _announce_stand_in(now=now)
    return run_sweep(runner="web")


def _announce_stand_in(*, now: datetime) -> None:
    """Tell the floor, once per outage, that the web processes sweep in the task queue's place.

    Whichever process first moves the stand-in's mark past the last task sweep announces it:
    a conditional UPDATE (or the INSERT of the first mark ever), so several processes standing
    in at once raise one alert."""
    last_task = _last_sweep("task")
    with transaction.atomic():
        if last_task is not None and SweepRun.objects.filter(runner="web", finished_at__lte=last_task).update(finished_at=now):
            first = True
        else:
            try:
                with transaction.atomic():
                    SweepRun.objects.create(runner="web", finished_at=now)
                first = True
            except IntegrityError:  # the mark exists and is newer than the last task sweep: already announced
                first = False
        if first:
            since = f"sejak {last_task.astimezone(WIB):%H:%M} WIB" if last_task else "sejak server web berjalan"
            events.emit(events.ALERT, {
                "kind": "sweep_stand_in",
                "message": f"Antrean tugas (Redis, Celery beat atau worker) tidak menjalankan sweep {since}; "
                           "server web mengambil alih eskalasi dan notifikasi.",
                "last_task_sweep": last_task.isoformat() if last_task else None,
            })


def _record(runner: str) -> None:
    """Mark the sweep finished. The first task sweep after the web processes stood in tells the floor."""
    with transaction.atomic():
        last_task, last_web = _last_sweep("task"), _last_sweep("web")
        SweepRun.objects.update_or_create(runner=runner, defaults={"finished_at": timezone.now()})
        if runner == "task" and last_web is not None and (last_task is None or last_web > last_task):
            events.emit(events.ALERT, {
                "kind": "sweep_task_queue_back",
                "message": "Antrean tugas menjalankan sweep lagi; server web berhenti mengambil alih.",
            })
