"""One pass over every timer that must not be lost. Idempotent: run it as often as you like."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def run_sweep() -> dict:
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
    return {"escalated": len(escalated), "notifications_sent": sent, "digests_sent": int(digest_sent), "callbacks_overdue": overdue}
