"""Retention of callers' personal data under UU PDP (UU 27/2022).

A caller's number is personal data. When a caller's last call is older than the
retention period, the number is replaced by a keyed pseudonym (HMAC-SHA256 with
SECRET_KEY, prefix "anon:"): the same number always maps to the same pseudonym,
so repeat-caller statistics survive, but the number cannot be read back. The raw
number typed on each of the caller's calls is cleared, and so are the other copies of
the number: the stored live events, the AML fixes (with the handset's IMEI and IMSI)
and the phone system's events. Notes, call types, times and incidents are kept, so
counts by type and day do not change.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

PSEUDONYM_PREFIX = "anon:"


def caller_pseudonym(number: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()
    # Caller.number holds 20 characters: "anon:" + 15 hex digits (60 bits).
    return PSEUDONYM_PREFIX + digest[:15]


BATCH_SIZE = 200  # callers per transaction


def number_forms(e164: str, raws=()) -> set[str]:
    """The ways a caller's number may have been written: E.164, without the plus, the national form
    with its leading 0, and every raw form typed or received on the caller's calls."""
    forms = {e164, e164.lstrip("+")}
    if e164.startswith("+62"):
        forms.add("0" + e164[3:])
    forms.update(raw for raw in raws if raw and len(raw) >= 6)
    return forms


def _replace_in(value, forms: list[str], pseudonym: str):
    """`value` (JSON data) with every string's copy of the number replaced by the pseudonym."""
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, pseudonym)
        return value
    if isinstance(value, list):
        return [_replace_in(item, forms, pseudonym) for item in value]
    if isinstance(value, dict):
        return {key: _replace_in(item, forms, pseudonym) for key, item in value.items()}
    return value


def _longest_first(forms) -> list[str]:
    # "+6281..." before "6281..." so the longer copy is replaced whole.
    return sorted(forms, key=len, reverse=True)


def callers_pseudonymise(*, older_than_days: int, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Pseudonymise callers whose last call is older than the cut-off. Returns how many. Idempotent.

    Besides the caller row, the copies of the number go in the same transaction: the raw number
    on the caller's calls, the stored live events of those calls and of the number's blocks, the
    AML fixes (with the handset's IMEI and IMSI and the raw message) and the phone system's events.
    Callers are handled `batch_size` per transaction."""
    from calls.models import Caller

    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    due = list(
        Caller.objects.filter(pseudonymised_at__isnull=True)
        .annotate(last_call=Max("calls__received_at"))
        .filter(last_call__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for first in range(0, len(due), batch_size):
        with transaction.atomic():
            done += _pseudonymise_batch(due[first : first + batch_size], cutoff=cutoff, now=now or timezone.now())
    return done


def _pseudonymise_batch(caller_ids: list[int], *, cutoff: datetime, now: datetime) -> int:
    from calls.models import AmlLocation, Call, Caller, TelephonyEvent
    from dispatch.audit import audit
    from dispatch.models import Event

    callers = list(Caller.objects.select_for_update().filter(pk__in=caller_ids, pseudonymised_at__isnull=True).order_by("pk"))
    # A call that arrived after we listed the caller keeps the number.
    recent = set(Call.objects.filter(caller__in=callers, received_at__gte=cutoff).values_list("caller_id", flat=True))
    callers = [caller for caller in callers if caller.pk not in recent]
    if not callers:
        return 0
    calls_of: dict[int, list[int]] = {}
    raws_of: dict[int, set[str]] = {}
    for pk, caller_id, raw in Call.objects.filter(caller__in=callers).values_list("pk", "caller_id", "caller_number_raw"):
        calls_of.setdefault(caller_id, []).append(pk)
        raws_of.setdefault(caller_id, set()).add(raw)
    pseudonyms = {caller.pk: caller_pseudonym(caller.number) for caller in callers}
    forms_of = {caller.pk: _longest_first(number_forms(caller.number, raws_of.get(caller.pk, ()))) for caller in callers}
    e164_of = {caller.number: caller.pk for caller in callers}
    caller_of_call = {call_id: caller_id for caller_id, ids in calls_of.items() for call_id in ids}
    caller_of_form = {form: caller_id for caller_id, forms in forms_of.items() for form in forms}
    call_ids = list(caller_of_call)

    # The phone system's events: of the callers' calls, and older ones that name the number.
    events = list(
        TelephonyEvent.objects.filter(
            Q(call_id__in=call_ids) | Q(caller_number__in=list(caller_of_form), received_at__lt=cutoff)
        ).only("pk", "call_id", "caller_number")
    )
    for event in events:
        owner = caller_of_call.get(event.call_id) or caller_of_form.get(event.caller_number)
        event.caller_number = pseudonyms[owner] if event.caller_number else ""
    TelephonyEvent.objects.bulk_update(events, ["caller_number"], batch_size=500)

    # AML fixes: the number, the handset's identity and the raw message that carries both.
    fixes = list(
        AmlLocation.objects.filter(Q(call_id__in=call_ids) | Q(caller_number__in=list(e164_of), received_at__lt=cutoff))
        .only("pk", "call_id", "caller_number")
    )
    for fix in fixes:
        owner = caller_of_call.get(fix.call_id) or e164_of.get(fix.caller_number) or caller_of_form.get(fix.caller_number)
        fix.caller_number = pseudonyms[owner] if owner else ""
        fix.imei = fix.imsi = fix.raw = ""
    AmlLocation.objects.bulk_update(fixes, ["caller_number", "imei", "imsi", "raw"], batch_size=500)

    # Stored live events: those of the callers' calls, and those naming the number (blocks).
    stored = list(
        Event.objects.filter(
            Q(type__startswith="call.", data__id__in=call_ids) | Q(data__caller_number__in=list(e164_of))
        ).only("seq", "type", "data")
    )
    for event in stored:
        owner = caller_of_call.get(event.data.get("id")) if event.type.startswith("call.") else None
        owner = owner or e164_of.get(event.data.get("caller_number"))
        if owner:
            event.data = _replace_in(event.data, forms_of[owner], pseudonyms[owner])
    Event.objects.bulk_update(stored, ["data"], batch_size=500)

    for caller in callers:
        caller.number = pseudonyms[caller.pk]
        caller.pseudonymised_at = now
    Caller.objects.bulk_update(callers, ["number", "pseudonymised_at"])
    Call.objects.filter(caller__in=callers).update(caller_number_raw="")
    for caller in callers:
        audit("caller.pseudonymise", obj=caller)
    return len(callers)
