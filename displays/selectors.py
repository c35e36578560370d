"""Reads about wall displays."""

from __future__ import annotations

from displays.models import WallDevice

SESSION_KEY = "d112_wall_device"


def wall_device_for_user(user) -> WallDevice | None:
    """The live (not revoked) wall display this user is, or None. Cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if hasattr(user, "_wall_device"):
        return user._wall_device
    device = WallDevice.objects.filter(user_id=user.pk, revoked_at__isnull=True).first()
    user._wall_device = device
    return device


def wall_device_for_request(request) -> WallDevice | None:
    """The wall display making this request: a session opened by a one-time link, of a device not revoked."""
    session = getattr(request, "session", None)
    if session is None or session.get(SESSION_KEY) is None:
        return None
    device = wall_device_for_user(getattr(request, "user", None))
    if device is None or device.pk != session.get(SESSION_KEY):
        return None
    return device


def wall_devices():
    return WallDevice.objects.select_related("created_by", "revoked_by").order_by("revoked_at", "-created_at")
