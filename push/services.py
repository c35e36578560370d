"""Web Push (VAPID, RFC 8030/8291/8292): who subscribed, and waking their phones for a new dispatch
or an escalation. Owns PushSubscription. Sending happens in a Celery task after commit, never in a
request; a subscription the push service says is gone (404/410) is removed."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from push.endpoints import endpoint_allowed
from push.models import PushSubscription

logger = logging.getLogger(__name__)
PUSH_TTL_SECONDS = 10 * 60  # a dispatch older than this is on the screen already, or escalated


def push_enabled() -> bool:
    return bool(settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY and settings.WEBPUSH_VAPID_SUBJECT)


class EndpointRefused(ValueError):
    pass


def subscription_save(*, user, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Stores (or takes over) a browser's subscription for this user."""
    if not endpoint_allowed(endpoint):
        raise EndpointRefused(endpoint)
    with transaction.atomic():
        subscription, _created = PushSubscription.objects.select_for_update().update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
        )
    return subscription


def subscription_delete(*, user, endpoint: str) -> int:
    """Removes this user's subscription at that endpoint; another user's is left alone."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


def queue_dispatch_push(dispatch_id: int, kind: str) -> None:
    """After commit, a task wakes the agency's staff phones. Nothing when Web Push is not configured."""
    if not push_enabled():
        return

    def enqueue():
        from push.tasks import send_dispatch_push

        try:
            send_dispatch_push.delay(dispatch_id, kind)
        except Exception:  # noqa: BLE001 - the broker is down: the dispatch is on the console anyway
            logger.warning("could not queue the push for dispatch %s", dispatch_id, exc_info=True)

    transaction.on_commit(enqueue, robust=True)


def _message(dispatch, kind: str) -> dict:
    incident = dispatch.incident
    with override(settings.LANGUAGE_CODE):
        if kind == "escalated":
            title = _("Kejadian #%(id)s: belum diterima!") % {"id": incident.pk}
        else:
            title = _("Kejadian #%(id)s: pengiriman baru") % {"id": incident.pk}
        place = ", ".join(p for p in (incident.address, incident.kelurahan.name if incident.kelurahan_id else "") if p)
        body = f"P{incident.priority} {incident.incident_type.label}" + (f" · {place}" if place else "")
    return {"title": title, "body": body, "url": "/agency/", "tag": f"dispatch-{dispatch.pk}", "kind": kind, "incident_id": incident.pk}


def push_dispatch_send(dispatch_id: int, kind: str) -> int:
    """Sends the push to every subscription of the dispatch's agency staff; returns how many took it."""
    from pywebpush import WebPushException, webpush

    from agencies.models import Membership
    from dispatch.models import Dispatch

    if not push_enabled():
        return 0
    dispatch = Dispatch.objects.select_related("incident__incident_type", "incident__kelurahan", "agency").filter(pk=dispatch_id).first()
    if dispatch is None:
        return 0
    if kind == "created" and dispatch.status != Dispatch.Status.DISPATCHED:
        return 0  # acknowledged (or gone) before the task ran: nobody needs waking
    staff = Membership.objects.filter(role=Membership.Role.AGENCY, agency=dispatch.agency, user__is_active=True).values("user_id")
    payload = json.dumps(_message(dispatch, kind))
    sent = 0
    for subscription in PushSubscription.objects.filter(user_id__in=staff):
        if not endpoint_allowed(subscription.endpoint):  # checked again: a name may resolve elsewhere by now
            logger.warning("push endpoint refused, subscription %s removed", subscription.pk)
            subscription.delete()
            continue
        try:
            webpush(
                {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                payload,
                vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
                ttl=PUSH_TTL_SECONDS,
                timeout=10,
                headers={"Urgency": "high"},
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                subscription.delete()
            else:
                logger.warning("push to subscription %s failed: %s", subscription.pk, status or exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one unreachable push service does not stop the others
            logger.warning("push to subscription %s failed: %s", subscription.pk, exc.__class__.__name__)
            continue
        PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now())
        sent += 1
    return sent
