"""Retention of callers' personal data under UU PDP (UU 27/2022).

A caller's number is personal data. When a caller's last call is older than the
retention period, the number is replaced by a keyed pseudonym (HMAC-SHA256 with
SECRET_KEY, prefix "anon:"): the same number always maps to the same pseudonym,
so repeat-caller statistics survive, but the number cannot be read back. The raw
number typed on each of the caller's calls is cleared; notes, call types, times
and incidents are kept, so counts by type and day do not change.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

PSEUDONYM_PREFIX = "anon:"


def caller_pseudonym(number: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()
    # Caller.number holds 20 characters: "anon:" + 15 hex digits (60 bits).
    return PSEUDONYM_PREFIX + digest[:15]


def callers_pseudonymise(*, older_than_days: int, now: datetime | None = None) -> int:
    """Pseudonymise callers whose last call is older than the cut-off. Returns how many. Idempotent."""
    from calls.models import Call, Caller
    from dispatch.audit import audit

    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    due = (
        Caller.objects.filter(pseudonymised_at__isnull=True)
        .annotate(last_call=Max("calls__received_at"))
        .filter(last_call__lt=cutoff)
        .values_list("pk", flat=True)
    )
    done = 0
    for caller_id in list(due):
        with transaction.atomic():
            caller = Caller.objects.select_for_update().filter(pk=caller_id, pseudonymised_at__isnull=True).first()
            if caller is None:
                continue
            # A call that arrived after we listed the caller keeps the number.
            if caller.calls.filter(received_at__gte=cutoff).exists():
                continue
            caller.number = caller_pseudonym(caller.number)
            caller.pseudonymised_at = now or timezone.now()
            caller.save(update_fields=["number", "pseudonymised_at"])
            Call.objects.filter(caller=caller).update(caller_number_raw="")
            audit("caller.pseudonymise", obj=caller)
            done += 1
    return done
