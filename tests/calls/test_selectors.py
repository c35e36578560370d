from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from calls.selectors import caller_history
from calls.services import call_classify, call_create

pytestmark = pytest.mark.django_db


def make_call(operator, call_type, number="081299990000"):
    call, _ = call_create(operator=operator, caller_number=number, notes=f"catatan {call_type}")
    return call_classify(call_id=call.pk, user=operator, call_type=call_type)


def test_history_counts_calls_by_type_over_each_window(operator):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=20), tick=False):
        make_call(operator, "prank")
    with time_machine.travel(now - timedelta(days=3), tick=False):
        make_call(operator, "ghost")
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        make_call(operator, "prank")
        make_call(operator, "information")
    with time_machine.travel(now, tick=False):
        call = make_call(operator, "prank")
        history = caller_history(call.caller)
    assert history.calls_total == 5
    assert history.count("24h", "prank") == 2
    assert history.count("7d", "ghost") == 1
    assert history.count("30d", "prank") == 3
    assert history.count("ever", "information") == 1
    assert len(history.recent) == 5 and history.recent[0]["call_type"] == "prank"


def test_prank_risk_rises_with_recent_pranks_and_explains_itself(operator):
    clean = make_call(operator, "information", number="081300000001")
    assert caller_history(clean.caller).prank_risk < 0.1
    for _ in range(4):
        call = make_call(operator, "prank", number="081300000002")
    history = caller_history(call.caller)
    assert history.prank_risk > 0.6
    assert any("4 prank" in reason for reason in history.risk_reasons)


def test_genuine_emergencies_lower_the_risk(operator):
    for _ in range(2):
        call = make_call(operator, "prank", number="081300000003")
    before = caller_history(call.caller).prank_risk
    first, _ = call_create(operator=operator, caller_number="081300000003")
    call_classify(call_id=first.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    assert caller_history(call.caller).prank_risk < before


def test_simless_call_has_empty_history():
    history = caller_history(None)
    assert history.number is None and history.calls_total == 0 and history.prank_risk == 0.0
