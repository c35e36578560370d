"""Web Push listens to the change hook: a new or escalated dispatch wakes its agency's phones."""

from __future__ import annotations

from core.changes import Change, on_change
from push.services import queue_dispatch_push

# The dispatch writes that wake the phones, and the kind of message each sends.
PUSHED = {"dispatch.create": "created", "dispatch.escalate": "escalated"}


@on_change
def dispatch_pushed(change: Change) -> None:
    if change.object_type == "dispatch" and change.action in PUSHED:
        queue_dispatch_push(change.object_id, PUSHED[change.action])
