"""`GET /api/v1/alarms/`: what each role's screens may sound for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dispatch import services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_the_floor_sees_ringing_calls_escalations_p1_not_dispatched_and_callbacks(open_incident, operator, client_for, settings):
    from calls.models import Call

    settings.P1_UNDISPATCHED_ALARM_SECONDS = 45
    with time_machine.travel(T0, tick=False):
        waiting = open_incident("kebakaran_bangunan", number="081234500041")
        sent = open_incident("darurat_medis", number="081234500042")
        [dispatch] = services.incident_dispatch(incident_id=sent.pk, user=operator, agency_codes=["DINKES"])
        services.escalate_overdue(now=T0 + timedelta(minutes=10), officer_after=timedelta(minutes=5))
        ringing = Call.objects.create(status=Call.Status.RINGING, caller_number_raw="081234500043", received_at=T0)
        state = client_for(operator).get("/api/v1/alarms/").json()
    assert state["server_time"] == T0.isoformat() and state["p1_after_seconds"] == 45
    assert state["ringing"] == [{"id": ringing.pk, "received_at": T0.isoformat()}]
    assert [d["id"] for d in state["escalated"]] == [dispatch.pk]
    assert state["p1_undispatched"] == [{"id": waiting.pk, "created_at": T0.isoformat()}]
    assert state["new_dispatches"] == []


def test_agency_staff_see_only_their_own_dispatches_not_yet_accepted(open_incident, operator, staff, client_for):
    incident = open_incident("kebakaran_bangunan")
    dispatches = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "POLRESTA"])
    damkar = next(d for d in dispatches if d.agency.code == "DAMKAR")
    state = client_for(staff("DAMKAR")).get("/api/v1/alarms/").json()
    assert [d["id"] for d in state["new_dispatches"]] == [damkar.pk]
    assert state["new_dispatches"][0]["incident_id"] == incident.pk and state["new_dispatches"][0]["priority"] == 1
    assert state["ringing"] == [] and state["p1_undispatched"] == [] and state["callbacks"] == [] and state["escalated"] == []

    services.dispatch_acknowledge(dispatch_id=damkar.pk, user=staff("DAMKAR"))
    assert client_for(staff("DAMKAR")).get("/api/v1/alarms/").json()["new_dispatches"] == []


def test_pbx_and_anonymous_get_no_alarm_state(ref, make_user, client_for, client):
    assert client_for(make_user("pbx")).get("/api/v1/alarms/").status_code == 403
    assert client.get("/api/v1/alarms/").status_code in (401, 403)
