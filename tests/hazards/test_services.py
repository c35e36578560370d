"""Storing alerts once, disaster mode's start, update and end, the BPBD incident and the duty officers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from dispatch.errors import Conflict, InvalidInput
from dispatch.models import AuditLog, Dispatch, Event, Incident, Notification
from dispatch.sweep import run_sweep
from hazards import services
from hazards.models import DisasterPeriod, HazardAlert, HazardThresholds
from hazards.parsing import parse_bmkg_feed
from tests.hazards.conftest import FIXTURE_NOW, fixture_bytes

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def at_the_quake():
    with time_machine.travel(FIXTURE_NOW, tick=True) as traveller:
        yield traveller


def _events(prefix: str = "disaster.") -> list[Event]:
    return list(Event.objects.filter(type__startswith=prefix).order_by("seq"))


def test_a_near_earthquake_starts_disaster_mode_opens_a_bpbd_incident_and_notifies_the_duty_officers(ref, feed_user, at_the_quake):
    alert, created = services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    assert created and alert.kind == "earthquake_felt" and alert.magnitude == 6.2
    assert alert.nearest_kecamatan and 25 < alert.distance_km < 60
    period = DisasterPeriod.objects.get(active=True)
    assert (period.kind, period.alert_id) == ("earthquake_felt", alert.pk)
    incident = Incident.objects.get(pk=period.incident_id)
    assert (incident.incident_type.code, incident.priority) == ("gempa_tsunami", 1)
    assert "M6.2" in incident.address
    opened = incident.transitions.get(from_status="")
    assert (opened.reason_code, opened.reason_params, opened.by) == ("hazard", {"alert": alert.identifier}, None)
    assert list(Dispatch.objects.filter(incident=incident).values_list("agency__code", flat=True)) == ["BPBD"]
    told = Notification.objects.filter(kind="disaster")
    assert {r.split(":")[-1] for r in told.values_list("recipient", flat=True)} == {"BPBD", "BASARNAS", "DAMKAR"}
    assert all("MODE BENCANA: M6.2" in text for text in told.values_list("text", flat=True))
    [started] = _events()
    assert started.type == "disaster.started" and started.agency_code == ""
    assert started.data["active"] is True and started.data["kind"] == "earthquake_felt"
    assert started.data["alert"]["identifier"] == alert.identifier and started.data["alert"]["sent_wib"] == "15-04-2023 22:10 WIB"
    assert AuditLog.objects.filter(action="hazard.alert", object_id=str(alert.pk)).exists()


def test_the_same_identifier_twice_is_stored_once_and_changes_nothing(ref, feed_user, at_the_quake):
    first, made = services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    again, made_again = services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    assert made and not made_again and first.pk == again.pk
    assert HazardAlert.objects.count() == 1 and DisasterPeriod.objects.count() == 1 and len(_events()) == 1


def test_an_update_moves_disaster_mode_to_the_new_message_and_a_cancel_ends_it(ref, feed_user, at_the_quake):
    first, _ = services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    update, _ = services.alert_receive_cap(data=fixture_bytes("cap_earthquake_update.xml"), user=feed_user)
    first.refresh_from_db()
    assert first.superseded_by_id == update.pk
    period = DisasterPeriod.objects.get(active=True)
    assert period.alert_id == update.pk and update.magnitude == 6.0
    cancel, _ = services.alert_receive_cap(data=fixture_bytes("cap_earthquake_cancel.xml"), user=feed_user)
    period.refresh_from_db()
    assert (period.active, period.end_reason) == (False, "cancelled")
    assert [e.type for e in _events()] == ["disaster.started", "disaster.updated", "disaster.ended"]
    assert _events()[-1].data["active"] is False
    update.refresh_from_db()
    # The cancel references the first message; the stored first one is marked, the period ended.
    first.refresh_from_db()
    assert first.cancelled_at is not None and first.superseded_by_id == cancel.pk


def test_a_cancelled_alert_when_disaster_mode_is_off_is_kept_and_starts_nothing(ref, feed_user, at_the_quake):
    HazardThresholds.objects.update_or_create(pk=1, defaults={"magnitude_min": 7.0})
    services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    services.alert_receive_cap(data=fixture_bytes("cap_earthquake_cancel.xml"), user=feed_user)
    assert HazardAlert.objects.count() == 2 and not DisasterPeriod.objects.exists() and not _events()


@pytest.mark.parametrize("name, field", [("cap_cancel_unknown.xml", "references"), ("cap_other_sender.xml", "sender")])
def test_an_update_of_an_unknown_alert_or_another_sender_is_refused_and_nothing_is_stored(ref, feed_user, at_the_quake, name, field):
    with pytest.raises(InvalidInput) as caught:
        services.alert_receive_cap(data=fixture_bytes(name), user=feed_user)
    assert caught.value.field == field
    assert not HazardAlert.objects.exists() and not DisasterPeriod.objects.exists() and not _events()
    assert not Incident.objects.exists()


def test_a_tsunami_warning_turns_a_running_earthquake_mode_into_tsunami(ref, feed_user, at_the_quake):
    services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    tsunami, _ = services.alert_receive_cap(data=fixture_bytes("cap_tsunami.xml"), user=feed_user)
    period = DisasterPeriod.objects.get(active=True)
    assert (period.kind, period.alert_id, tsunami.tsunami_level) == ("tsunami", tsunami.pk, "awas")
    assert DisasterPeriod.objects.count() == 1 and Incident.objects.count() == 1
    state = services.disaster_state_data(period)
    assert "pantai" in state["script"] and "tempat tinggi" in state["script"]


def test_a_far_quake_is_listed_and_changes_nothing(ref, at_the_quake):
    [far] = parse_bmkg_feed(fixture_bytes("gempaterkini_far.json"))
    with time_machine.travel(datetime.fromisoformat("2023-04-15T16:45:00+00:00"), tick=True):
        alert, created = services.alert_store(far, source="feed")
    assert created and alert.kind == "" and alert.distance_km > 3000
    assert not DisasterPeriod.objects.exists() and not _events() and not Incident.objects.exists()


def test_a_stale_feed_quake_is_listed_but_starts_nothing(ref):
    [quake] = parse_bmkg_feed(fixture_bytes("autogempa.json"))
    alert, _ = services.alert_store(quake, source="feed")  # today, years after it expired
    assert alert.kind == "earthquake_felt" and not DisasterPeriod.objects.exists()


def test_the_sweep_ends_disaster_mode_when_the_alert_expires(ref, feed_user):
    with time_machine.travel(FIXTURE_NOW, tick=False):
        services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
        run_sweep()
        assert DisasterPeriod.objects.get().active
    with time_machine.travel(datetime.fromisoformat("2023-04-15T21:11:00+00:00"), tick=False):
        assert run_sweep()["disaster_expired"] == 1
        assert run_sweep()["disaster_expired"] == 0
    period = DisasterPeriod.objects.get()
    assert (period.active, period.end_reason) == (False, "expired")


def test_a_supervisor_ends_disaster_mode_audited_and_a_second_end_is_a_conflict(ref, feed_user, supervisor, at_the_quake):
    services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
    period = services.disaster_end(user=supervisor)
    assert (period.active, period.end_reason, period.ended_by_id) == (False, "supervisor", supervisor.pk)
    assert AuditLog.objects.filter(action="disaster.end", user=supervisor).exists()
    with pytest.raises(Conflict):
        services.disaster_end(user=supervisor)
    # A later alert starts a new period.
    services.alert_receive_cap(data=fixture_bytes("cap_tsunami.xml"), user=feed_user)
    assert DisasterPeriod.objects.filter(active=True, kind="tsunami").count() == 1


def test_an_exercise_message_is_kept_but_starts_nothing(ref, feed_user, at_the_quake):
    data = fixture_bytes("cap_earthquake.xml").replace(b"<status>Actual</status>", b"<status>Exercise</status>")
    alert, _ = services.alert_receive_cap(data=data, user=feed_user)
    assert alert.kind == "" and not DisasterPeriod.objects.exists()


def test_the_script_is_edited_by_a_supervisor_and_refuses_empty_text(ref, supervisor):
    services.script_update(kind="earthquake_felt", text="Tenang, keluar ke tempat terbuka.", user=supervisor)
    assert services.script_for("earthquake_felt") == "Tenang, keluar ke tempat terbuka."
    with pytest.raises(InvalidInput):
        services.script_update(kind="earthquake_felt", text="  ", user=supervisor)
    assert AuditLog.objects.filter(action="disaster.script").count() == 1
