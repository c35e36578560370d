"""The append-only audit trail: one row per state-changing action."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.utils import timezone

from dispatch.models import AuditLog


def audit(action: str, **kwargs) -> AuditLog:
    """Record one action in the audit trail now. Arguments as for `audit_row`."""
    row = audit_row(action, **kwargs)
    row.save(force_insert=True)
    return row


def audit_row(
    action: str,
    *,
    user=None,
    obj=None,
    outcome: str = "ok",
    address: str | None = None,
    detail: dict[str, Any] | None = None,
    agency_code: str = "",
) -> AuditLog:
    """The audit row for an action, not yet stored (see `dispatch.rows.insert_with_trail`)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    if authenticated and not agency_code:
        from agencies.selectors import actor_for_user

        agency_code = actor_for_user(user).agency_code or ""
    return AuditLog(
        at=timezone.now(),
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        agency_code=agency_code,
        action=action,
        object_type=obj.__class__.__name__.lower() if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        outcome=outcome,
        address=address or current_address.get(),
        detail=detail or {},
    )


# The client address of the request being served, so services (which take no
# request) still record where an action came from. Set by AuditAddressMiddleware.
current_address: ContextVar[str | None] = ContextVar("dispatch112_audit_address", default=None)


class AuditAddressMiddleware:
    """Makes REMOTE_ADDR available to `audit()` for the duration of a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_address.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_address.reset(token)
