"""Wall displays: enrolling a screen with a one-time link, opening it, revoking it. Every change audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dispatch import events
from dispatch.audit import audit
from displays.models import WallDevice

LINK_VALID_FOR = timedelta(minutes=15)


class LinkInvalid(Exception):
    """The one-time link is unknown, used, expired, or its device revoked."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def wall_device_create(*, by, name: str) -> tuple[WallDevice, str]:
    """A new display and the secret of its one-time link (shown once; only its hash is kept)."""
    name = (name or "").strip()[:80]
    if not name:
        raise ValueError("name")
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        user = get_user_model().objects.create(username=f"layar-{secrets.token_hex(6)}", first_name=name[:30])
        user.set_unusable_password()
        user.save(update_fields=["password"])
        device = WallDevice.objects.create(
            name=name, user=user, created_by=by, created_at=now, link_hash=_hash(secret), link_expires_at=now + LINK_VALID_FOR
        )
        audit("wall_device.create", user=by, obj=device, detail={"name": name, "device_user": user.get_username()})
    return device, secret


def wall_device_for_link(secret: str) -> WallDevice:
    """The display a one-time link opens, if it still can (for the page that asks to confirm)."""
    device = WallDevice.objects.filter(link_hash=_hash(secret or "")).select_related("user").first()
    if device is None or device.link_used_at is not None or device.revoked_at is not None or device.link_expires_at <= timezone.now():
        raise LinkInvalid
    return device


def wall_device_open(*, secret: str) -> WallDevice:
    """Uses the one-time link: claimed under a row lock, so two browsers cannot both open it."""
    now = timezone.now()
    with transaction.atomic():
        device = WallDevice.objects.select_for_update().filter(link_hash=_hash(secret or "")).select_related("user").first()
        if device is None or device.link_used_at is not None or device.revoked_at is not None or device.link_expires_at <= now:
            raise LinkInvalid
        device.link_used_at = now
        device.save(update_fields=["link_used_at"])
        audit("wall_device.open", user=device.user, obj=device, detail={"name": device.name})
    return device


def wall_device_revoke(*, device_id: int, by) -> WallDevice:
    """Ends the display at once: its user is deactivated (every session stops authenticating) and its
    sockets are told to close. Revoking twice changes nothing."""
    with transaction.atomic():
        device = WallDevice.objects.select_for_update().select_related("user").get(pk=device_id)
        if device.revoked_at is not None:
            return device
        device.revoked_at = timezone.now()
        device.revoked_by = by
        device.save(update_fields=["revoked_at", "revoked_by"])
        device.user.is_active = False
        device.user.save(update_fields=["is_active"])
        audit("wall_device.revoke", user=by, obj=device, detail={"name": device.name})
        user_id = device.user_id
        transaction.on_commit(lambda: events.close_user_sockets(user_id))
    return device
