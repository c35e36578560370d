from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=60)
def send_dispatch_push(dispatch_id: int, kind: str) -> int:
    """Wakes the agency's staff phones for a new ("created") or escalated ("escalated") dispatch."""
    from push.services import push_dispatch_send

    return push_dispatch_send(dispatch_id, kind)
