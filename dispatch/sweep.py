"""One pass over every timer that must not be lost. Idempotent: run it as often as you like.

Celery beat runs it every SWEEP_SECONDS through the task queue. If no task sweep has finished for
SWEEP_FALLBACK_SECONDS (Redis, beat or the worker down), each web process runs it itself
(`sweep_if_stalled`), so an unacknowledged dispatch still escalates and its duty officers are
still notified; every step claims its rows, so sweeps running side by side do each thing once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from dispatch import events
from dispatch.alarms import alarm_undispatched_p1
from dispatch.event_types import SweepStandIn, SweepTaskQueueBack
from dispatch.models import SweepRun
from dispatch.notifications import notification_send, pending_notification_ids
from dispatch.services import escalate_overdue
from dispatch.shifts import WIB

logger = logging.getLogger(__name__)

# Steps the apps above this one add (the reports' daily digest, the end of an expired disaster mode):
# the name they report under -> a callable taking `now` and returning how many things it did.
_STEPS: dict[str, Callable[..., int | bool]] = {}


def sweep_step(name: str):
    """Register a function as a step of every sweep (from the registering app's AppConfig.ready)."""

    def register(step: Callable[..., int | bool]) -> Callable[..., int | bool]:
        _STEPS[name] = step
        return step

    return register


def run_sweep(*, runner: str = "task") -> dict:
    now = timezone.now()
    escalated = escalate_overdue(now=now, officer_after=timedelta(seconds=settings.ESCALATION_OFFICER_SECONDS))
    sent = 0
    for pk in pending_notification_ids(now=now):
        sent += bool(notification_send(pk))
    done = {
        "escalated": len(escalated), "notifications_sent": sent,
    }
    for name, step in _STEPS.items():
        done[name] = int(step(now=now))
    done["p1_undispatched"] = alarm_undispatched_p1(now=now)
    _record(runner)
    return done


def sweep_marks() -> dict[str, datetime]:
    """When the sweep last finished, by runner ("task", "web"), in one read."""
    return dict(SweepRun.objects.values_list("runner", "finished_at"))


def _stalled(last_task: datetime | None, *, since: datetime, now: datetime, stalled_after: timedelta) -> bool:
    """Whether no task sweep has finished in the last `stalled_after`, counting from `since` at the earliest."""
    return max(last_task or since, since) <= now - stalled_after


def sweep_if_stalled(*, since: datetime, stalled_after: timedelta, now: datetime | None = None) -> dict | None:
    """A web process's stand-in: run the sweep here if the task queue has not for `stalled_after`."""
    now = now or timezone.now()
    last_task = sweep_marks().get("task")
    if not _stalled(last_task, since=since, now=now, stalled_after=stalled_after):
        return None
    _announce_stand_in(last_task=last_task, now=now)
    return run_sweep(runner="web")


def _announce_stand_in(*, last_task: datetime | None, now: datetime) -> None:
    """Tell the floor, once per outage, that the web processes sweep in the task queue's place.

    Whichever process first moves the stand-in's mark past the last task sweep (or stores the
    first mark ever) announces it: a conditional UPDATE, else get_or_create, so several processes
    standing in at once raise one alert."""
    with events.atomic():
        first = bool(last_task) and bool(
            SweepRun.objects.filter(runner="web", finished_at__lte=last_task).update(finished_at=now)
        )
        if not first:
            _, first = SweepRun.objects.get_or_create(runner="web", defaults={"finished_at": now})
        if first:
            since = f"sejak {last_task.astimezone(WIB):%H:%M} WIB" if last_task else "sejak server web berjalan"
            events.emit(SweepStandIn(
                message=f"Antrean tugas (Redis, Celery beat atau worker) tidak menjalankan sweep {since}; "
                        "server web mengambil alih eskalasi dan notifikasi.",
                last_task_sweep=last_task.isoformat() if last_task else None,
            ))


def _record(runner: str) -> None:
    """Mark the sweep finished. The first task sweep after the web processes stood in tells the floor."""
    with events.atomic():
        marks = sweep_marks()
        SweepRun.objects.update_or_create(runner=runner, defaults={"finished_at": timezone.now()})
        last_task, last_web = marks.get("task"), marks.get("web")
        if runner == "task" and last_web is not None and (last_task is None or last_web > last_task):
            events.emit(SweepTaskQueueBack(
                message="Antrean tugas menjalankan sweep lagi; server web berhenti mengambil alih.",
            ))
