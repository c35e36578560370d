"""Ghost-call call-backs: a ghost call owes the caller a call back within a deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calls.models import Call, Callback
from dispatch import events
from dispatch.audit import audit


def callback_for_ghost_call(call: Call, *, now: datetime) -> Callback | None:
    """Inside the classification transaction: queue a call-back for a ghost call with a number."""
    if call.call_type != "ghost" or call.caller_id is None:
        return None
    callback, _created = Callback.objects.get_or_create(
        call=call, defaults={"created_at": now, "deadline": now + timedelta(minutes=settings.CALLBACK_MINUTES)}
    )
    return callback


def flag_overdue_callbacks(*, now: datetime | None = None) -> int:
    """Flag unanswered call-backs past their deadline to supervisors, once each."""
    now = now or timezone.now()
    flagged = 0
    due = list(
        Callback.objects.filter(done_at__isnull=True, overdue_flagged_at__isnull=True, deadline__lte=now).values_list("pk", flat=True)[:200]
    )
    for pk in due:
        with transaction.atomic():
            if Callback.objects.filter(pk=pk, done_at__isnull=True, overdue_flagged_at__isnull=True).update(overdue_flagged_at=now) != 1:
                continue
            callback = Callback.objects.select_related("call__caller").get(pk=pk)
            audit("callback.overdue", obj=callback, detail={"call_id": callback.call_id})
            events.emit(
                events.ALERT,
                {
                    "kind": "callback_overdue",
                    "call_id": callback.call_id,
                    "caller_number": callback.call.caller_number,
                    "deadline": callback.deadline.isoformat(),
                    "message": f"Panggilan balik untuk ghost call #{callback.call_id} melewati batas waktu.",
                },
            )
            flagged += 1
    return flagged
