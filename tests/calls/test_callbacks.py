"""Ghost-call call-backs: the queue, recording the outcome, and the overdue sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from calls.callbacks import flag_overdue_callbacks
from calls.models import Callback
from dispatch.models import AuditLog, Event
from dispatch.sweep import run_sweep

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 2, 0, 0, tzinfo=UTC)


def ghost_call(api, number="081234567890"):
    call_id = api.post("/api/v1/calls/", {"caller_number": number}, format="json").json()["id"]
    assert api.post(f"/api/v1/calls/{call_id}/classify/", {"call_type": "ghost"}, format="json").status_code == 200
    return call_id


def test_a_ghost_call_queues_a_callback_with_a_deadline(api, settings):
    settings.CALLBACK_MINUTES = 5
    with time_machine.travel(T0, tick=False):
        call_id = ghost_call(api)
    callback = Callback.objects.get(call_id=call_id)
    assert callback.deadline == T0 + timedelta(minutes=5) and callback.done_at is None
    queue = api.get("/api/v1/callbacks/").json()
    assert queue["count"] == 1
    assert queue["results"][0]["call_id"] == call_id and queue["results"][0]["caller_number"] == "+6281234567890"


def test_a_ghost_call_without_number_owes_no_callback(api):
    call_id = api.post("/api/v1/calls/", {}, format="json").json()["id"]
    api.post(f"/api/v1/calls/{call_id}/classify/", {"call_type": "ghost"}, format="json")
    assert not Callback.objects.exists()


@pytest.mark.parametrize("outcome", ["no_answer", "emergency", "prank", "accidental"])
def test_recording_the_outcome_closes_the_callback(api, operator, outcome):
    call_id = ghost_call(api)
    callback = Callback.objects.get(call_id=call_id)
    response = api.post(f"/api/v1/callbacks/{callback.pk}/outcome/", {"outcome": outcome, "note": "ditelepon balik"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == outcome and response.json()["done_by"] == operator.username
    callback.refresh_from_db()
    assert callback.done_at is not None and callback.outcome == outcome and callback.note == "ditelepon balik"
    assert api.get("/api/v1/callbacks/").json()["count"] == 0
    assert AuditLog.objects.filter(action="callback.outcome", object_id=str(callback.pk)).exists()
    assert Event.objects.filter(type="call.updated", data__id=call_id, data__callback__outcome=outcome).exists()


def test_repeating_the_outcome_is_harmless_and_another_outcome_is_409(api):
    callback = Callback.objects.get(call_id=ghost_call(api))
    url = f"/api/v1/callbacks/{callback.pk}/outcome/"
    assert api.post(url, {"outcome": "prank"}, format="json").status_code == 200
    assert api.post(url, {"outcome": "prank"}, format="json").status_code == 200
    conflict = api.post(url, {"outcome": "accidental"}, format="json")
    assert conflict.status_code == 409 and conflict.json()["detail"]
    assert Callback.objects.get(pk=callback.pk).outcome == "prank"


def test_unknown_outcome_is_400_and_missing_callback_404(api):
    callback = Callback.objects.get(call_id=ghost_call(api))
    assert api.post(f"/api/v1/callbacks/{callback.pk}/outcome/", {"outcome": "maybe"}, format="json").status_code == 400
    assert api.post("/api/v1/callbacks/999999/outcome/", {"outcome": "prank"}, format="json").status_code == 404


def test_agency_staff_and_pbx_cannot_see_the_queue(ref, make_user, client_for):
    for user in (make_user("agency", "DAMKAR"), make_user("pbx")):
        assert client_for(user).get("/api/v1/callbacks/").status_code == 403


def test_the_sweep_flags_an_unanswered_callback_past_its_deadline_once(api, settings):
    settings.CALLBACK_MINUTES = 5
    with time_machine.travel(T0, tick=False):
        call_id = ghost_call(api)
    with time_machine.travel(T0 + timedelta(minutes=4, seconds=59), tick=False):
        assert flag_overdue_callbacks() == 0
    with time_machine.travel(T0 + timedelta(minutes=5, seconds=1), tick=False):
        assert run_sweep()["callbacks_overdue"] == 1
        assert run_sweep()["callbacks_overdue"] == 0
        assert api.get("/api/v1/callbacks/").json()["results"][0]["overdue"] is True
    alerts = Event.objects.filter(type="alert", data__kind="callback_overdue", data__call_id=call_id)
    assert alerts.count() == 1
    assert Callback.objects.get(call_id=call_id).overdue_flagged_at == T0 + timedelta(minutes=5, seconds=1)


def test_a_callback_done_in_time_is_never_flagged(api, settings):
    settings.CALLBACK_MINUTES = 5
    with time_machine.travel(T0, tick=False):
        callback = Callback.objects.get(call_id=ghost_call(api))
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        api.post(f"/api/v1/callbacks/{callback.pk}/outcome/", {"outcome": "accidental"}, format="json")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert flag_overdue_callbacks() == 0
    assert not Event.objects.filter(type="alert", data__kind="callback_overdue").exists()
