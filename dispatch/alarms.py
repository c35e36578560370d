"""Alarms: what must sound on a screen until someone handles it, and the sweep's P1 alert.

The browsers (static/js/alarms.js) read the alarm state of their user from `GET /api/v1/alarms/`
and keep their own clocks for the timed kinds (a P1 incident not dispatched, a late call-back), so
an alarm starts on time between sweeps. The sweep raises each timed kind once as an `alert` event
(`p1_undispatched` here, `callback_overdue` in calls/callbacks.py) for the alerts list, the audit
trail and whoever is not looking at a screen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from agencies.selectors import actor_for_user
from calls.models import Call, Callback
from dispatch import events
from dispatch.audit import audit
from dispatch.event_types import P1Undispatched
from dispatch.models import Dispatch, Incident


def p1_undispatched_incidents():
    """Open P1 incidents never sent to any agency (what the boards show as "P1 belum dikirim")."""
    return Incident.objects.filter(status=Incident.Status.OPEN, priority=1).exclude(
        Exists(Dispatch.objects.filter(incident=OuterRef("pk")))
    )


def p1_alarm_after() -> timedelta:
    return timedelta(seconds=settings.P1_UNDISPATCHED_ALARM_SECONDS)


def alarm_undispatched_p1(*, now: datetime | None = None) -> int:
    """Raise one `p1_undispatched` alert per P1 incident still not dispatched after the setting.

    Each incident is claimed by a conditional UPDATE of `p1_alarmed_at`, so sweeps running side by
    side (the task queue and a web stand-in) alert once."""
    now = now or timezone.now()
    due = list(
        p1_undispatched_incidents()
        .filter(p1_alarmed_at__isnull=True, created_at__lte=now - p1_alarm_after())
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    alerted = 0
    for pk in due:
        with transaction.atomic():
            claimed = p1_undispatched_incidents().filter(pk=pk, p1_alarmed_at__isnull=True).update(p1_alarmed_at=now)
            if claimed != 1:
                continue
            incident = Incident.objects.select_related("incident_type").get(pk=pk)
            waited = int((now - incident.created_at).total_seconds())
            audit("incident.p1_undispatched", obj=incident, detail={"incident_id": pk, "seconds": waited})
            events.emit(
                P1Undispatched(
                    incident_id=pk,
                    created_at=incident.created_at.isoformat(),
                    seconds=waited,
                    message=f"Kejadian P1 #{pk} ({incident.incident_type.label}) belum dikirim ke instansi "
                            f"setelah {waited // 60}:{waited % 60:02d}.",
                )
            )
            alerted += 1
    return alerted


def alarm_state_for(user, *, now: datetime | None = None) -> dict:
    """What may sound on this user's screens now, with the times the browser's clocks need.

    Floor (operators, supervisors, admins): ringing calls, escalated dispatches not yet accepted,
    P1 incidents not dispatched (all of them, each with its opening time: the browser sounds once
    `p1_after_seconds` have passed) and open call-backs with their deadlines. Agency staff: their
    own agency's dispatches not yet accepted. Anyone else: nothing."""
    now = now or timezone.now()
    actor = actor_for_user(user)
    state = {
        "server_time": now.isoformat(),
        "p1_after_seconds": settings.P1_UNDISPATCHED_ALARM_SECONDS,
        "ringing": [],
        "escalated": [],
        "p1_undispatched": [],
        "callbacks": [],
        "new_dispatches": [],
    }
    if actor.on_floor:
        state["ringing"] = [
            {"id": pk, "received_at": at.isoformat()}
            for pk, at in Call.objects.filter(status=Call.Status.RINGING).order_by("received_at").values_list("pk", "received_at")[:200]
        ]
        state["escalated"] = [
            {"id": pk, "incident_id": incident_id, "agency": agency, "escalation_level": level}
            for pk, incident_id, agency, level in Dispatch.objects.filter(
                status=Dispatch.Status.DISPATCHED, escalation_level__gt=0
            ).order_by("dispatched_at").values_list("pk", "incident_id", "agency__code", "escalation_level")[:200]
        ]
        state["p1_undispatched"] = [
            {"id": pk, "created_at": at.isoformat()}
            for pk, at in p1_undispatched_incidents().order_by("created_at").values_list("pk", "created_at")[:200]
        ]
        state["callbacks"] = [
            {"id": pk, "call_id": call_id, "deadline": deadline.isoformat()}
            for pk, call_id, deadline in Callback.objects.filter(done_at__isnull=True)
            .order_by("deadline").values_list("pk", "call_id", "deadline")[:200]
        ]
    elif actor.is_agency_staff and actor.agency_code:
        state["new_dispatches"] = [
            {"id": pk, "incident_id": incident_id, "priority": priority, "dispatched_at": at.isoformat()}
            for pk, incident_id, priority, at in Dispatch.objects.filter(
                agency__code=actor.agency_code, status=Dispatch.Status.DISPATCHED
            ).order_by("dispatched_at").values_list("pk", "incident_id", "incident__priority", "dispatched_at")[:200]
        ]
    return state
