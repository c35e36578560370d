"""One hook for every write that changes a call, an incident or a dispatch.

The services call `call_changed`, `incident_changed` or `dispatch_changed` inside their transaction,
after the write. Whoever must know subscribes with `on_change` from its AppConfig.ready: the reports
mark a past day's roll-up stale and leave an amendment on a signed-off day. The writing apps import
nothing of the subscribers, so a new kind of write cannot forget one of them: it forgets the hook or
nothing (a test lists the write services and proves each one calls it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Change:
    """What a service changed: the audit action, the object, and when the calls it touches were received."""

    action: str
    object_type: str  # "call", "incident" or "dispatch"
    object_id: int
    # The moments whose WIB days the change belongs to: a call's reception, an incident's creation.
    moments: tuple[datetime, ...]
    user: Any = None
    detail: dict = field(default_factory=dict)


Receiver = Callable[[Change], None]
_receivers: list[Receiver] = []


def on_change(receiver: Receiver) -> Receiver:
    """Subscribe to every change (call it once, from an AppConfig.ready)."""
    if receiver not in _receivers:
        _receivers.append(receiver)
    return receiver


def changed(change: Change) -> None:
    for receiver in _receivers:
        receiver(change)


def call_changed(call, *, action: str, user=None, detail: dict | None = None, also: Iterable[datetime | None] = ()) -> None:
    """A call changed. `also`: other moments the change moves figures of (a call leaving an earlier day)."""
    moments = tuple(m for m in (call.received_at, *also) if m is not None)
    changed(Change(action=action, object_type="call", object_id=call.pk, moments=moments, user=user, detail=detail or {}))


def incident_changed(incident, *, action: str, user=None, detail: dict | None = None) -> None:
    """An incident changed; it belongs to the day it was opened."""
    changed(Change(action=action, object_type="incident", object_id=incident.pk, moments=(incident.created_at,), user=user,
                   detail=detail or {}))


def dispatch_changed(dispatch, *, action: str, user=None, detail: dict | None = None) -> None:
    """A dispatch changed; it belongs to its incident's day."""
    changed(Change(action=action, object_type="dispatch", object_id=dispatch.pk, moments=(dispatch.incident.created_at,),
                   user=user, detail=detail or {}))
