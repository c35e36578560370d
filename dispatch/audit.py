"""The append-only audit trail: one row per state-changing action."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dispatch.models import AuditLog


def audit(
    action: str,
    *,
    user=None,
    obj=None,
    outcome: str = "ok",
    address: str | None = None,
    detail: dict[str, Any] | None = None,
    agency_code: str = "",
) -> AuditLog:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    if authenticated and not agency_code:
        from agencies.selectors import actor_for_user

        agency_code = actor_for_user(user).agency_code or ""
    return AuditLog.objects.create(
        at=timezone.now(),
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        agency_code=agency_code,
        action=action,
        object_type=obj.__class__.__name__.lower() if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        outcome=outcome,
        address=address,
        detail=detail or {},
    )
