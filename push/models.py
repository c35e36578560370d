"""Web Push subscriptions: a browser (a phone) that asked to be woken for new dispatches."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PushSubscription(models.Model):
    """One browser's push endpoint and keys, for one user. The push service gave the browser the
    endpoint; the keys encrypt what is sent to it (RFC 8291)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A browser's endpoint belongs to one user at a time (the last one who subscribed on it).
            models.UniqueConstraint(fields=["endpoint"], name="push_pushsubscription_endpoint_unique"),
        ]
        indexes = [models.Index(fields=["user"], name="push_pushsubscription_user")]
