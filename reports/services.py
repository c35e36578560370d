"""The reports' writes: signing off a day, and the amendment a change to a call of a signed-off day leaves."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.audit import audit
from dispatch.errors import Conflict
from dispatch.shifts import wib_today
from reports.models import Amendment, DaySignoff


def day_signoff(*, day: date, user, note: str = "") -> DaySignoff:
    """Sign off a finished WIB day. A day is signed off once."""
    if day >= wib_today():
        raise Conflict(_("Hanya hari yang sudah berakhir yang dapat disahkan."))
    with transaction.atomic():
        signoff, created = DaySignoff.objects.get_or_create(
            day=day, defaults={"signed_by": user, "signed_at": timezone.now(), "note": note}
        )
        if not created:
            raise Conflict(_("Hari ini sudah disahkan oleh %(u)s.") % {"u": signoff.signed_by.get_username()})
        audit("report.signoff", user=user, obj=signoff, detail={"day": day.isoformat()})
    return signoff


def amend_if_signed_off(*, day: date, user, action: str, object_type: str, object_id: int, detail: dict | None = None) -> Amendment | None:
    """Record a change to a record of a WIB day already signed off. Called inside the writing service's transaction."""
    if day >= wib_today():
        return None  # only ended days can be signed off (day_signoff), so no query for today's records
    signoff = DaySignoff.objects.filter(day=day).first()
    if signoff is None:
        return None
    return Amendment.objects.create(
        day=day,
        signoff=signoff,
        at=timezone.now(),
        by=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail or {},
    )
