"""Ghost-call call-backs: a ghost call owes the caller a call back within a deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, Callback
from dispatch import events
from dispatch.audit import audit
from dispatch.errors import Conflict, InvalidInput
from dispatch.event_types import CallbackOverdue, CallbackState, CallUpdated


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
                CallbackOverdue(
                    call_id=callback.call_id,
                    caller_number=callback.call.caller_number,
                    deadline=callback.deadline.isoformat(),
                    message=f"Panggilan balik untuk ghost call #{callback.call_id} melewati batas waktu.",
                )
            )
            flagged += 1
    return flagged


def callback_event(callback: Callback) -> CallUpdated:
    """The call's `call.updated`, with its call-back."""
    from calls.services import call_event

    return call_event(
        CallUpdated,
        callback.call,
        callback=CallbackState(
            id=callback.pk,
            deadline=callback.deadline.isoformat(),
            outcome=callback.outcome or None,
            done_at=callback.done_at.isoformat() if callback.done_at else None,
            done_by=callback.done_by.get_username() if callback.done_by_id else None,
        ),
    )


def callback_record_outcome(*, callback_id: int, user, outcome: str, note: str = "", now: datetime | None = None) -> Callback:
    """Record how the call-back went. Repeating the same outcome changes nothing; another outcome is a conflict."""
    if outcome not in Callback.Outcome.values:
        raise InvalidInput(_("Hasil panggilan balik tidak dikenal: %(o)s") % {"o": outcome}, field="outcome")
    if len(note or "") > settings.CALL_NOTES_MAX_LENGTH:
        raise InvalidInput(_("Catatan terlalu panjang."), field="note")
    now = now or timezone.now()
    with transaction.atomic():
        callback = Callback.objects.select_for_update(of=("self",)).select_related("call__caller").get(pk=callback_id)
        if callback.done_at is not None:
            if callback.outcome == outcome:
                return callback
            raise Conflict(
                _("Panggilan balik ini sudah dicatat: %(o)s.") % {"o": callback.get_outcome_display()}, field="outcome"
            )
        callback.outcome = outcome
        callback.note = note or ""
        callback.done_at = now
        callback.done_by = user
        callback.save(update_fields=["outcome", "note", "done_at", "done_by"])
        audit(
            "callback.outcome", user=user, obj=callback,
            detail={"call_id": callback.call_id, "outcome": outcome, "late": now > callback.deadline},
        )
        events.emit(callback_event(callback))
    return callback


def open_callbacks():
    """The call-back queue: owed call-backs, the earliest deadline first."""
    return Callback.objects.filter(done_at__isnull=True).select_related("call__caller").order_by("deadline")
