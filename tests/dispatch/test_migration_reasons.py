"""The migration that turns the English reasons the system wrote into codes with parameters
(dispatch/migrations/0015_transition_reasons_from_text.py), and back."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.utils import timezone

from calls.models import CallTransition
from dispatch.models import DispatchTransition, IncidentTransition

migration = importlib.import_module("dispatch.migrations.0015_transition_reasons_from_text")

pytestmark = pytest.mark.django_db


def _row(reason, from_status="open", to_status="open", by_id=7):
    return SimpleNamespace(reason=reason, from_status=from_status, to_status=to_status, by_id=by_id)


@pytest.mark.parametrize(("kind", "row", "expected"), [
    ("incident", _row("call 12", from_status="", to_status="open"), ("incident_from_call", {"id": 12}, "")),
    ("incident", _row("call 12 linked"), ("call_linked", {"id": 12}, "")),
    ("incident", _row("call 12 unlinked"), ("call_unlinked", {"id": 12}, "")),
    ("incident", _row("type kebakaran_bangunan -> pohon_tumbang"), ("retyped", {"from": "kebakaran_bangunan", "to": "pohon_tumbang"}, "")),
    ("incident", _row("location: Depan Mega Mall\nlt 2"), ("relocated", {"place": "Depan Mega Mall\nlt 2"}, "")),
    ("incident", _row("no place: penelepon panik", to_status="dispatched"), ("no_place", {}, "penelepon panik")),
    ("incident", _row("import", from_status="dispatched", to_status="closed", by_id=None), ("imported", {}, "")),
    ("incident", _row("hazard bmkg-1", from_status="", by_id=None), ("hazard", {"alert": "bmkg-1"}, "")),
    ("dispatch", _row("escalated: not acknowledged in time", "dispatched", "dispatched", None), ("escalated", {}, "")),
    ("dispatch", _row("escalated: duty officer notified", "dispatched", "dispatched", None), ("officer_notified", {}, "")),
    ("dispatch", _row("import: closed without acknowledgement", "dispatched", "cancelled", None), ("imported_unacknowledged", {}, "")),
    ("call", _row("- -> emergency", "active", "classified"), ("classified", {"from": None, "to": "emergency"}, "")),
    ("call", _row("prank -> ghost", "classified", "classified"), ("classified", {"from": "prank", "to": "ghost"}, "")),
    ("call", _row("unlinked from incident 3; own incident 9", "classified", "classified"), ("own_incident", {"from": 3, "to": 9}, "")),
    ("call", _row("import: ghost", "active", "classified", None), ("imported_as", {"type": "ghost"}, "")),
    ("call", _row("answered at extension 201", "ringing", "active"), ("answered_at_extension", {"ext": "201"}, "")),
    ("call", _row("hangup before answer", "ringing", "abandoned"), ("hangup_before_answer", {}, "")),
    ("call", _row("taken over from op_pagi", "active", "active"), ("taken_over", {"who": "op_pagi"}, "")),
    ("call", _row("claimed at desk", "ringing", "active"), ("claimed_at_desk", {}, "")),
])
def test_a_reason_the_system_wrote_becomes_its_code_and_parameters(kind, row, expected):
    assert migration.coded(kind, row) == expected


@pytest.mark.parametrize(("kind", "row"), [
    # A person's words on a close, a reopening, a cancellation or a progress note: kept as typed.
    ("incident", _row("call 5 linked", from_status="dispatched", to_status="closed")),
    ("incident", _row("type a -> b", from_status="closed", to_status="open")),
    ("incident", _row("import", from_status="open", to_status="closed")),
    ("incident", _row("no place: salah ketik", from_status="dispatched", to_status="closed")),
    ("dispatch", _row("escalated: not acknowledged in time", "acknowledged", "cancelled")),
    ("dispatch", _row("import", "acknowledged", "en_route")),
    ("incident", _row("unit sudah di lokasi lain", "dispatched", "closed")),
    ("call", _row("tolong cepat", "active", "classified")),
])
def test_a_persons_reason_that_reads_like_the_systems_stays_as_typed(kind, row):
    assert migration.coded(kind, row) is None


def test_the_reverse_writes_back_the_english_it_read():
    for kind, reason, from_status, to_status, by_id in [
        ("incident", "type a -> b", "open", "open", 1), ("incident", "no place: di jalan", "open", "dispatched", 1),
        ("call", "- -> emergency", "active", "classified", 1), ("call", "answered at extension -", "ringing", "active", 1),
        ("incident", "hazard bmkg-1", "", "open", None),
    ]:
        code, params, typed = migration.coded(kind, _row(reason, from_status, to_status, by_id))
        assert migration.old_text(code, params, typed) == reason


def test_the_migration_converts_stored_rows_and_its_reverse_restores_them(open_incident, operator):
    incident = open_incident("kebakaran_bangunan")
    call = incident.calls.get()
    IncidentTransition.objects.all().delete()
    CallTransition.objects.all().delete()
    now = timezone.now()
    old = [
        IncidentTransition(incident=incident, at=now, from_status="", to_status="open", reason=f"call {call.pk}", by=operator),
        IncidentTransition(incident=incident, at=now, from_status="open", to_status="open", reason="type a -> b", by=operator),
        IncidentTransition(incident=incident, at=now, from_status="open", to_status="closed", reason="call 5 linked", by=operator),
    ]
    IncidentTransition.objects.bulk_create(old)
    CallTransition.objects.bulk_create([
        CallTransition(call=call, at=now, from_status="active", to_status="classified", reason="- -> emergency", by=operator),
        CallTransition(call=call, at=now, from_status="ringing", to_status="active", reason="bukan pola", by=operator),
    ])

    migration.text_to_codes(apps, None)

    rows = list(IncidentTransition.objects.filter(incident=incident).order_by("id").values_list("reason_code", "reason_params", "reason"))
    assert rows == [("incident_from_call", {"id": call.pk}, ""), ("retyped", {"from": "a", "to": "b"}, ""), ("", {}, "call 5 linked")]
    calls = list(CallTransition.objects.filter(call=call).order_by("id").values_list("reason_code", "reason_params", "reason"))
    assert calls == [("classified", {"from": None, "to": "emergency"}, ""), ("", {}, "bukan pola")]

    migration.codes_to_text(apps, None)

    assert list(IncidentTransition.objects.filter(incident=incident).order_by("id").values_list("reason_code", "reason")) == [
        ("", f"call {call.pk}"), ("", "type a -> b"), ("", "call 5 linked"),
    ]
    assert list(CallTransition.objects.filter(call=call).order_by("id").values_list("reason_code", "reason")) == [
        ("", "- -> emergency"), ("", "bukan pola"),
    ]


def test_the_migration_converts_a_dispatchs_escalation_but_not_a_persons_cancellation(open_incident, operator):
    from dispatch import services

    (dispatch,) = services.incident_dispatch(incident_id=open_incident("kebakaran_bangunan").pk, user=operator, agency_codes=["DAMKAR"])
    DispatchTransition.objects.filter(dispatch=dispatch).delete()
    now = timezone.now()
    DispatchTransition.objects.bulk_create([
        DispatchTransition(dispatch=dispatch, at=now, from_status="dispatched", to_status="dispatched",
                           reason="escalated: not acknowledged in time"),
        DispatchTransition(dispatch=dispatch, at=now, from_status="dispatched", to_status="cancelled",
                           reason="escalated: not acknowledged in time", by=operator),
    ])

    migration.text_to_codes(apps, None)

    assert list(DispatchTransition.objects.filter(dispatch=dispatch).order_by("id").values_list("reason_code", "reason")) == [
        ("escalated", ""), ("", "escalated: not acknowledged in time"),
    ]
