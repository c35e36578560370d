"""Read-only wall displays: a TV on the floor that shows the supervisor wall all shift."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WallDevice(models.Model):
    """A screen a supervisor enrolled to show the wall. It signs in as its own user, which has no role
    and no password, through a one-time link; it may only read the wall (displays.middleware)."""

    name = models.CharField(_("nama"), max_length=80)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wall_device")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # sha256 of the one-time link's secret; the secret itself is shown once and never stored.
    link_hash = models.CharField(max_length=64, unique=True)
    link_expires_at = models.DateTimeField()
    link_used_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A revocation always says who revoked.
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False), name="displays_walldevice_revoked_by_set"
            ),
        ]
        indexes = [
            # The check on every request of a display: is this device still allowed?
            models.Index(fields=["user"], condition=Q(revoked_at__isnull=True), name="displays_walldevice_live"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
