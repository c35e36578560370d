"""The live events' definitions: one per event type, keys refused when they do not match (raised
under EVENTS_STRICT, logged and sent without it), and every sender's real payload matching its type."""

from __future__ import annotations

import ast
import dataclasses
import json
import logging
import sys
import typing
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dispatch import event_types, events
from dispatch.event_types import (
    Alert,
    AmlFix,
    CallbackOverdue,
    CallCreated,
    CallUpdated,
    IncidentSnapshot,
    LiveEvent,
    Payload,
    PayloadError,
)
from dispatch.models import Event

ROOT = Path(settings.BASE_DIR)

# The event types and keys the interface documented before the definitions existed (screens, scripts
# and the events API rely on them): every one stays; a definition may add keys, never drop these.
PINNED = {
    "call.created": {"id", "status", "caller_number", "call_type", "incident_id", "operator", "received_at", "caller_blocked", "version"},
    "call.updated": {"id", "status", "caller_number", "call_type", "incident_id", "operator", "received_at", "caller_blocked", "version"},
    "incident.created": {"id", "incident_type", "label", "priority", "status", "lat", "lon", "address", "kelurahan", "created_at", "version"},
    "incident.updated": {"id", "incident_type", "label", "priority", "status", "lat", "lon", "address", "kelurahan", "created_at", "version"},
    "dispatch.created": {"id", "agency", "status", "dispatched_at", "ack_deadline", "acknowledged_at", "escalation_level", "station",
                         "nearest_post", "incident_id", "incident_number", "version", "incident"},
    "dispatch.updated": {"id", "agency", "status", "dispatched_at", "ack_deadline", "acknowledged_at", "escalation_level", "station",
                         "nearest_post", "incident_id", "incident_number", "version", "incident"},
    "dispatch.escalated": {"id", "agency", "status", "dispatched_at", "ack_deadline", "acknowledged_at", "escalation_level", "station",
                           "nearest_post", "incident_id", "incident_number", "version", "incident"},
    "caller.blocked": {"caller_number", "level", "starts_at", "expires_at", "lifted", "reason"},
    "alert": {"kind", "message"},
    "disaster.started": {"active", "kind", "since", "alert", "period_id", "ended_at", "end_reason"},
    "disaster.updated": {"active", "kind", "since", "alert", "period_id", "ended_at", "end_reason"},
    "disaster.ended": {"active", "kind", "since", "alert", "period_id", "ended_at", "end_reason"},
}
PINNED_ALERT_KINDS = {
    "callback_overdue": {"call_id", "caller_number", "deadline"},
    "p1_undispatched": {"incident_id", "created_at", "seconds"},
    "blocked_caller_burst": set(),
    "sweep_stand_in": set(),
    "sweep_task_queue_back": set(),
}


def _incident_keys() -> dict:
    return {name: None for name in PINNED["incident.created"]}


# --- the definitions ----------------------------------------------------------------------------


def test_every_event_type_has_one_definition_with_a_one_line_docstring():
    assert set(events.EVENT_TYPES) == set(event_types.DEFINITIONS) == set(PINNED)
    for event_type, cls in event_types.DEFINITIONS.items():
        assert cls.type == event_type and issubclass(cls, LiveEvent)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
        doc = cls.__dict__.get("__doc__") or ""
        assert doc and "\n" not in doc.strip() and "receive" in doc, (event_type, doc)


def test_every_alert_kind_has_its_own_definition():
    assert set(event_types.ALERT_KINDS) == set(PINNED_ALERT_KINDS)
    for kind, cls in event_types.ALERT_KINDS.items():
        assert issubclass(cls, Alert) and cls.type == "alert"
        assert "\n" not in (cls.__dict__.get("__doc__") or "\n").strip()
        assert PINNED_ALERT_KINDS[kind] <= {f.name for f in dataclasses.fields(cls)} - {"kind", "message"}


@pytest.mark.parametrize("event_type", sorted(PINNED))
def test_every_pinned_key_is_still_in_its_definition(event_type):
    assert PINNED[event_type] <= {f.name for f in dataclasses.fields(event_types.DEFINITIONS[event_type])}


def test_an_events_data_is_its_fields_in_order_with_nested_payloads_as_objects():
    incident = IncidentSnapshot(**_incident_keys())
    event = CallUpdated(
        id=1, status="active", caller_number=None, call_type=None, incident_id=None, operator=None,
        received_at="r", touched_at="t", caller_blocked=False, version=2,
        aml=AmlFix(id=3, lat=-3.8, lon=102.3, radius_m=20, confidence=68, method="gnss", positioned_at=None,
                   kelurahan_code=None, kelurahan=None, applied=True),
    )
    data = event.as_data()
    assert list(data) == [f.name for f in dataclasses.fields(CallUpdated)]
    assert data["aml"] == {"id": 3, "lat": -3.8, "lon": 102.3, "radius_m": 20, "confidence": 68, "method": "gnss",
                           "positioned_at": None, "kelurahan_code": None, "kelurahan": None, "applied": True}
    assert data["callback"] is None and data["version"] == 2
    assert incident.as_data() == _incident_keys()
    alert = CallbackOverdue(call_id=5, caller_number=None, deadline="d", message="m")
    assert alert.as_data() == {"kind": "callback_overdue", "message": "m", "call_id": 5, "caller_number": None, "deadline": "d"}


def test_an_event_is_frozen():
    alert = Alert(kind="k", message="m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        alert.message = "changed"


# --- keys that do not match: raised when strict, logged and sent when not -----------------------


@pytest.mark.parametrize(
    "build, problem",
    [
        (lambda: Alert(kind="k"), "missing message"),
        (lambda: Alert(kind="k", message="m", colour="red"), "unexpected colour"),
        (lambda: CallbackOverdue(kind="other", call_id=1, caller_number=None, deadline="d", message="m"), "unexpected kind"),
        (lambda: IncidentSnapshot(**{**_incident_keys(), "rogue": 1}), "unexpected rogue"),
        (lambda: CallCreated(id=1), "missing touched_at"),
    ],
    ids=["missing", "extra", "fixed kind", "nested extra", "many missing"],
)
def test_a_payload_with_a_missing_or_extra_key_is_refused_when_strict(build, problem):
    with pytest.raises(PayloadError, match=problem):
        build()


def test_events_are_strict_in_development_and_not_in_production_unless_set():
    """EVENTS_STRICT follows DEBUG unless it is set (read in a fresh interpreter: settings are read once)."""
    import os
    import subprocess

    script = (
        "import importlib, os\n"
        "import dispatch.settings as s\n"
        "for debug, strict in (('1', ''), ('0', ''), ('0', '1'), ('1', '0')):\n"
        "    os.environ.update(DEBUG=debug, EVENTS_STRICT=strict)\n"
        "    print(importlib.reload(s).EVENTS_STRICT)\n"
    )
    env = {**os.environ, "SECRET_KEY": "x" * 60}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.stdout.split() == ["True", "False", "True", "False"], result.stderr


@pytest.mark.django_db
def test_in_production_a_payload_with_wrong_keys_is_logged_and_still_goes_out(
    ref, settings, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EVENTS_STRICT = False
    published: list[events.Envelope] = []
    monkeypatch.setattr(events, "publish_after_commit", published.append)
    with caplog.at_level(logging.ERROR, logger="dispatch.events"):
        event = Alert(kind="callback_overdue", colour="red")
    assert "Alert payload does not match its type: missing message, unexpected colour" in caplog.text

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        envelope = events.emit(event)
    stored = Event.objects.get(seq=envelope.seq)
    assert stored.data == {"kind": "callback_overdue", "message": None, "colour": "red"}
    assert [e.seq for e in published] == [envelope.seq]


# --- every sender's real payload ----------------------------------------------------------------


def _emit_sites(relative: str) -> set[int]:
    """The lines of a module that call `events.emit(...)`."""
    tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
    return {
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "events"
    }


SENDERS = ("calls/services.py", "calls/telephony.py", "calls/aml.py", "calls/callbacks.py", "calls/blocking.py",
           "dispatch/services.py", "dispatch/alarms.py", "dispatch/sweep.py", "hazards/services.py")


def test_every_module_that_sends_events_is_driven_below():
    sending = set()
    for package in ("agencies", "calls", "core", "dispatch", "displays", "hazards", "push", "reports"):
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative and _emit_sites(relative):
                sending.add(relative)
    assert sending == set(SENDERS)


@pytest.fixture
def sent(monkeypatch):
    """Every event emitted while the test runs, with the module and line that sent it."""
    records: list[tuple[str, int, LiveEvent]] = []
    emit = events.emit

    def recording(event):
        caller = sys._getframe(1)
        path = Path(caller.f_code.co_filename).resolve()
        records.append((path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path), caller.f_lineno, event))
        return emit(event)

    monkeypatch.setattr(events, "emit", recording)
    return records


def _keys_problems(cls: type[Payload], data: dict, where: str = "") -> list[str]:
    """Compare a payload's data with its type's fields, nested payloads by their own fields."""
    fields = {f.name for f in dataclasses.fields(cls)}
    problems = [f"{where}{k} not sent" for k in sorted(fields - set(data))]
    problems += [f"{where}{k} not in {cls.__name__}" for k in sorted(set(data) - fields)]
    hints = typing.get_type_hints(cls)
    for name in fields & set(data):
        nested = [t for t in (hints[name], *typing.get_args(hints[name])) if isinstance(t, type) and issubclass(t, Payload)]
        if nested and data[name] is not None:
            problems += _keys_problems(nested[0], data[name], f"{where}{name}.")
    return problems


def _wire(event_type: str, data: dict) -> tuple[str, str]:
    return event_type, json.dumps(data, sort_keys=True, default=str)


def _assert_sent_as_typed(sent, module: str, *, since: int) -> None:
    """Every `events.emit` of `module` ran, and every event stored since `since` has its type's keys."""
    hit = {line for path, line, _event in sent if path == module}
    assert _emit_sites(module) - hit == set(), f"{module}: these senders were not driven"
    stored = list(Event.objects.filter(seq__gt=since).order_by("seq"))
    assert len(stored) == len(sent)
    # Events held by a transaction are numbered when it ends: match each stored one to what was sent.
    by_wire = {_wire(event.type, event.as_data()): (path, line, event) for path, line, event in sent}
    for row in stored:
        path, line, event = by_wire[_wire(row.type, row.data)]
        definition = event_types.definition_for(row.type, row.data)
        assert type(event) is definition, (path, line, type(event).__name__, definition)
        assert row.type == event.type
        assert _keys_problems(definition, row.data) == [], (path, line, row.type)
        assert row.agency_code == (row.data["agency"] if row.type.startswith("dispatch.") else "")


@pytest.mark.django_db
def test_call_services_send_calls_as_typed(ref, operator, make_user, sent):
    from calls.services import Location, call_classify, call_create, call_take_over, call_unlink, call_update

    since = events.last_seq()
    call, _ = call_create(operator=operator, caller_number="081277000001", location=Location(lat=-3.80, lon=102.27))
    call_update(call_id=call.pk, user=operator, notes="api di dapur")
    call_take_over(call_id=call.pk, user=make_user("supervisor"))  # a supervisor needs no wait
    call = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    second, _ = call_create(operator=operator, caller_number="081277000002")
    call_classify(call_id=second.pk, user=operator, call_type="emergency", duplicate_of=call.incident_id)
    call_unlink(call_id=second.pk, user=operator)
    _assert_sent_as_typed(sent, "calls/services.py", since=since)


@pytest.mark.django_db
def test_telephony_sends_calls_as_typed(ref, operator, make_user, sent):
    from agencies.models import Membership
    from calls.telephony import call_claim, telephony_event

    pbx = make_user("pbx", username="pbx-typed")
    Membership.objects.filter(user=operator).update(extension="201")
    since = events.last_seq()
    now = timezone.now()
    telephony_event(pbx=pbx, event="ringing", pbx_call_id="t-1", at=now, caller_number="081277000003")
    telephony_event(pbx=pbx, event="answered", pbx_call_id="t-1", at=now, extension="201")
    telephony_event(pbx=pbx, event="hangup", pbx_call_id="t-1", at=now)
    ringing = telephony_event(pbx=pbx, event="ringing", pbx_call_id="t-2", at=now, caller_number="081277000004")
    call_claim(call_id=ringing.call.pk, user=operator)
    _assert_sent_as_typed(sent, "calls/telephony.py", since=since)


@pytest.mark.django_db
def test_an_aml_fix_is_sent_with_its_call_as_typed(ref, operator, sent):
    from calls.aml import aml_receive, parse_aml
    from calls.services import call_create

    call_create(operator=operator, caller_number="081277000005")
    since = events.last_seq()
    sent.clear()
    aml = aml_receive(message=parse_aml({"lat": "-3.84067", "lon": "102.32073", "radius": "20", "from": "081277000005"}))
    assert aml.call_id is not None
    _assert_sent_as_typed(sent, "calls/aml.py", since=since)
    assert Event.objects.filter(seq__gt=since).get().data["aml"]["id"] == aml.pk


@pytest.mark.django_db
def test_call_backs_are_sent_as_typed(ref, operator, sent):
    from calls.callbacks import callback_record_outcome, flag_overdue_callbacks
    from calls.models import Callback
    from calls.services import call_classify, call_create

    ghost, _ = call_create(operator=operator, caller_number="081277000006")
    call_classify(call_id=ghost.pk, user=operator, call_type="ghost")
    since = events.last_seq()
    sent.clear()
    assert flag_overdue_callbacks(now=timezone.now() + timedelta(hours=1)) == 1
    callback_record_outcome(callback_id=Callback.objects.get(call=ghost).pk, user=operator, outcome=Callback.Outcome.values[0])
    _assert_sent_as_typed(sent, "calls/callbacks.py", since=since)
    assert Event.objects.filter(seq__gt=since, type="call.updated").get().data["callback"]["outcome"] == Callback.Outcome.values[0]


@pytest.mark.django_db
def test_blocks_and_bursts_of_blocked_callers_are_sent_as_typed(ref, operator, supervisor, sent):
    from calls.blocking import block_lift, block_manual
    from calls.services import call_classify, call_create

    since = events.last_seq()
    for _ in range(3):  # the ladder's first step
        prank, _ = call_create(operator=operator, caller_number="081277000007")
        call_classify(call_id=prank.pk, user=operator, call_type="prank")
    block_manual(caller_number="+6281277000008", user=supervisor, reason="iseng berulang", hours=24)
    for _ in range(3):
        call_create(operator=operator, caller_number="081277000008")
    block_lift(caller_number="+6281277000008", user=supervisor, reason="sudah ditegur")
    _assert_sent_as_typed(sent, "calls/blocking.py", since=since)


@pytest.mark.django_db
def test_incident_and_dispatch_services_send_them_as_typed(ref, operator, supervisor, staff, make_user, sent):
    from agencies.geo import Location
    from calls.services import call_classify, call_create, call_unlink
    from dispatch import services

    since = events.last_seq()
    first, _ = call_create(operator=operator, caller_number="081277000009", location=Location(lat=-3.80, lon=102.27))
    first = call_classify(call_id=first.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    incident_id = first.incident_id
    second, _ = call_create(operator=operator, caller_number="081277000010")
    call_classify(call_id=second.pk, user=operator, call_type="emergency", duplicate_of=incident_id)
    call_unlink(call_id=second.pk, user=operator)  # detaches it
    damkar, bpbd = sorted(
        services.incident_dispatch(incident_id=incident_id, user=operator, agency_codes=["DAMKAR", "BPBD"]),
        key=lambda d: d.agency.code != "DAMKAR",
    )
    call_classify(call_id=first.pk, user=operator, call_type="emergency", incident_type="kebakaran_lahan")  # retyped
    services.incident_relocate(incident_id=incident_id, user=operator, location=Location(lat=-3.79, lon=102.26))
    services.incident_add_note(incident_id=incident_id, user=operator, text="angin kencang")
    services.dispatch_acknowledge(dispatch_id=damkar.pk, user=staff("DAMKAR"))
    for status in ("en_route", "on_scene", "resolved"):
        services.dispatch_set_status(dispatch_id=damkar.pk, user=staff("DAMKAR"), status=status)
    services.escalate_overdue(now=timezone.now() + timedelta(hours=1))
    services.dispatch_set_status(dispatch_id=bpbd.pk, user=operator, status="cancelled", note="salah kirim")
    services.incident_close(incident_id=incident_id, user=operator)
    services.incident_reopen(incident_id=incident_id, user=supervisor, reason="api menyala lagi")
    _assert_sent_as_typed(sent, "dispatch/services.py", since=since)


@pytest.mark.django_db
def test_the_p1_alarm_is_sent_as_typed(open_incident, settings, sent):
    from dispatch.alarms import alarm_undispatched_p1

    open_incident("kebakaran_bangunan")
    since = events.last_seq()
    sent.clear()
    assert alarm_undispatched_p1(now=timezone.now() + timedelta(seconds=settings.P1_UNDISPATCHED_ALARM_SECONDS + 1)) == 1
    _assert_sent_as_typed(sent, "dispatch/alarms.py", since=since)


@pytest.mark.django_db
def test_the_sweeps_stand_in_and_return_are_sent_as_typed(ref, sent):
    import time_machine

    from dispatch.sweep import run_sweep, sweep_if_stalled

    start = timezone.now()
    with time_machine.travel(start - timedelta(minutes=5), tick=False):
        run_sweep()
    since = events.last_seq()
    sent.clear()
    with time_machine.travel(start, tick=False):
        assert sweep_if_stalled(since=start - timedelta(hours=1), stalled_after=timedelta(seconds=30)) is not None
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        run_sweep()
    _assert_sent_as_typed(sent, "dispatch/sweep.py", since=since)


@pytest.mark.django_db
def test_disaster_mode_is_sent_as_typed(ref, supervisor, sent):
    from hazards.services import alert_receive_cap, disaster_end
    from tests.hazards.conftest import cap_at

    since = events.last_seq()
    alert_receive_cap(data=cap_at("cap_earthquake.xml", sent=timezone.now(), tag="typed"))
    alert_receive_cap(data=cap_at("cap_tsunami.xml", sent=timezone.now(), tag="typed"))
    disaster_end(user=supervisor)
    _assert_sent_as_typed(sent, "hazards/services.py", since=since)
    assert {"disaster.started", "disaster.updated", "disaster.ended", "incident.created", "dispatch.created"} <= set(
        Event.objects.filter(seq__gt=since).values_list("type", flat=True)
    )
