"""Calls from the phone system: PBX events (ringing, answered, hangup) and operators claiming ringing calls.

The PBX is the clock: received_at, answered_at and ended_at are the PBX's timestamps.
Every event is stored once per (pbx_call_id, event) — the unique constraint makes a
retry a no-op — and events may arrive in any order:

- ringing creates the call (status ringing); a late ringing for a call an earlier
  event created only moves received_at back and fills in the number.
- answered gives a ringing call to the operator whose extension answered (status
  active); for an unknown call it creates one, already active; for a call abandoned
  by an earlier-arriving hangup whose time is after the answer, it corrects the call.
- hangup sets ended_at; a call still ringing becomes abandoned; for an unknown call it
  records an abandoned call.

Operators take a ringing call from the desk with `call_claim`: a conditional UPDATE
WHERE status='ringing', so of two simultaneous clicks exactly one wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Membership
from agencies.selectors import FLOOR_ROLES
from calls.models import Call, TelephonyEvent
from calls.phone import parse_number
from calls.services import _get_or_create_caller, _record_transition, call_create, call_event
from core.changes import call_changed
from dispatch import events
from dispatch.audit import audit
from dispatch.errors import Conflict, InvalidInput
from dispatch.event_types import CallUpdated
from dispatch.models import Reason

logger = logging.getLogger(__name__)

APPLIED = "applied"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class EventResult:
    call: Call | None
    created: bool
    outcome: str


def operator_for_extension(extension: str):
    if not extension:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(extension=extension, role__in=FLOOR_ROLES, user__is_active=True)
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def telephony_event(
    *,
    pbx,
    event: str,
    pbx_call_id: str,
    at: datetime,
    caller_number: str | None = None,
    extension: str = "",
) -> EventResult:
    """Apply one PBX event. A repeated (pbx_call_id, event) changes nothing and returns the call as it is."""
    if event not in TelephonyEvent.Kind.values:
        raise InvalidInput(_("Jenis event tidak dikenal: %(e)s") % {"e": event}, field="event")
    pbx_call_id = (pbx_call_id or "").strip()
    if not pbx_call_id or len(pbx_call_id) > 128:
        raise InvalidInput(_("pbx_call_id wajib diisi (maksimal 128 karakter)."), field="pbx_call_id")
    if timezone.is_naive(at):
        raise InvalidInput(_("Waktu 'at' harus menyertakan zona waktu (ISO 8601 dengan offset)."), field="at")
    extension = (extension or "").strip()[:16]
    now = timezone.now()
    try:
        with transaction.atomic():
            record = TelephonyEvent.objects.create(
                pbx_call_id=pbx_call_id, event=event, at=at, received_at=now,
                extension=extension, caller_number=(caller_number or "")[:64],
            )
            handler = {"ringing": _ringing, "answered": _answered, "hangup": _hangup}[event]
            call, created, outcome = handler(pbx=pbx, pbx_call_id=pbx_call_id, at=at, caller_number=caller_number, extension=extension, now=now)
            record.call = call
            record.outcome = outcome
            record.save(update_fields=["call", "outcome"])
    except IntegrityError:
        if not TelephonyEvent.objects.filter(pbx_call_id=pbx_call_id, event=event).exists():
            raise
        call = Call.objects.select_related("caller").filter(pbx_call_id=pbx_call_id).first()
        return EventResult(call=call, created=False, outcome=DUPLICATE)
    return EventResult(call=call, created=created, outcome=outcome)


def _locked_call(pbx_call_id: str) -> Call | None:
    return Call.objects.select_for_update(of=("self",)).select_related("caller").filter(pbx_call_id=pbx_call_id).first()


def _create(*, pbx, pbx_call_id: str, at: datetime, caller_number: str | None, status: str, now: datetime) -> tuple[Call, bool]:
    """Record the call (or find the one a concurrent event just recorded), locked, with any pending AML attached."""
    _call, created = call_create(
        operator=pbx, caller_number=caller_number, status=status, received_at=at, pbx_call_id=pbx_call_id
    )
    from calls.aml import aml_attach_pending

    call = _locked_call(pbx_call_id)
    aml_attach_pending(call=call, now=now)
    return call, created


def _save(call: Call, fields: list[str], *, pbx, from_status: str, reason: str, params: dict | None = None, at: datetime, action: str,
          left_day: datetime | None = None) -> None:
    """Store what a phone-system event changed; `reason` (a `Reason` code) and `params` say why."""
    call.version += 1
    call.save(update_fields=[*fields, "version"])
    call_changed(call, action=action, user=pbx, detail={"fields": fields}, also=(left_day,))
    if from_status != call.status:
        _record_transition(call, by=pbx, from_status=from_status, to_status=call.status, code=reason, params=params, at=at)
    audit(action, user=pbx, obj=call, detail={"fields": fields, "reason": reason, **(params or {})})
    events.emit(call_event(CallUpdated, call))


def _ringing(*, pbx, pbx_call_id, at, caller_number, extension, now):
    call = _locked_call(pbx_call_id)
    if call is None:
        call, created = _create(pbx=pbx, pbx_call_id=pbx_call_id, at=at, caller_number=caller_number, status=Call.Status.RINGING, now=now)
        if created:
            return call, True, APPLIED
    # A late ringing for a call an earlier event created: it only tells when it started and who called.
    fields = []
    left_day = None
    if at < call.received_at:
        left_day = call.received_at  # the day the call leaves
        call.received_at = at
        fields.append("received_at")
    if call.caller_id is None and not call.caller_number_raw and caller_number:
        parsed = parse_number(caller_number)
        call.caller, _new = _get_or_create_caller(parsed.e164, now)
        call.caller_number_raw, call.number_invalid = parsed.raw, parsed.invalid
        fields += ["caller", "caller_number_raw", "number_invalid"]
    if not fields:
        return call, False, "late_ringing_ignored"
    _save(call, fields, pbx=pbx, from_status=call.status, reason=Reason.LATE_RINGING, at=at, action="call.pbx_ringing_late",
          left_day=left_day)
    return call, False, "late_ringing"


def _answered(*, pbx, pbx_call_id, at, caller_number, extension, now):
    operator = operator_for_extension(extension)
    call = _locked_call(pbx_call_id)
    created = False
    if call is None:
        call, created = _create(pbx=pbx, pbx_call_id=pbx_call_id, at=at, caller_number=caller_number, status=Call.Status.ACTIVE, now=now)
    if created:
        # call_create gives an active call to its creator and answers it at once: the PBX knows better.
        call.operator = operator
        call.answered_at = at
        call.extension = extension
        _save(call, ["operator", "answered_at", "extension"], pbx=pbx, from_status=call.status, reason=Reason.ANSWERED_BEFORE_RINGING, at=at, action="call.pbx_answered")
        return call, True, "answered_unknown_call"
    previous = call.status
    if previous == Call.Status.ABANDONED and call.ended_at is not None and at > call.ended_at:
        return call, False, "answered_after_hangup_ignored"
    if previous == Call.Status.RINGING or previous == Call.Status.ABANDONED:
        call.status = Call.Status.ACTIVE
    fields = ["status", "answered_at", "extension"]
    call.answered_at = at
    call.extension = extension or call.extension
    if call.operator_id is None and operator is not None:
        call.operator = operator
        fields.append("operator")
    _save(call, fields, pbx=pbx, from_status=previous, reason=Reason.ANSWERED_AT_EXTENSION,
          params={"ext": extension or "-"}, at=at, action="call.pbx_answered")
    return call, False, APPLIED


def _hangup(*, pbx, pbx_call_id, at, caller_number, extension, now):
    call = _locked_call(pbx_call_id)
    created = False
    if call is None:
        call, created = _create(pbx=pbx, pbx_call_id=pbx_call_id, at=at, caller_number=caller_number, status=Call.Status.RINGING, now=now)
    outcome = "hangup_unknown_call" if created else APPLIED
    if call.ended_at is not None:
        return call, created, "already_ended"
    previous = call.status
    fields = ["ended_at"]
    call.ended_at = at
    if previous == Call.Status.RINGING:
        call.status = Call.Status.ABANDONED
        fields.append("status")
    _save(call, fields, pbx=pbx, from_status=previous, reason=Reason.HANGUP_BEFORE_ANSWER if previous == Call.Status.RINGING else Reason.HANGUP, at=at, action="call.pbx_hangup")
    return call, created, outcome


def call_claim(*, call_id: int, user) -> Call:
    """Take a ringing call. Exactly one of several simultaneous claims wins; the others get a Conflict."""
    now = timezone.now()
    with transaction.atomic():
        won = Call.objects.filter(pk=call_id, status=Call.Status.RINGING).update(
            status=Call.Status.ACTIVE, operator=user, answered_at=now, version=F("version") + 1
        )
        call = Call.objects.select_related("caller", "operator").get(pk=call_id)
        if won != 1:
            if call.status == Call.Status.ACTIVE and call.operator_id == user.pk:
                return call
            if call.operator_id:
                message = _("Panggilan sudah diambil oleh %(who)s.") % {"who": call.operator.get_username()}
            else:
                message = _("Panggilan tidak lagi berdering (status: %(s)s).") % {"s": call.get_status_display()}
            raise Conflict(message)
        _record_transition(call, by=user, from_status=Call.Status.RINGING, to_status=Call.Status.ACTIVE, code=Reason.CLAIMED_AT_DESK, at=now)
        audit("call.claim", user=user, obj=call)
        call_changed(call, action="call.claim", user=user)
        events.emit(call_event(CallUpdated, call))
    return call
