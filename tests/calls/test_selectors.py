from __future__ import annotations

from datetime import UTC, timedelta

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


def _history_by_orm(caller, *, now, exclude_call_id=None):
    """What the history statement must give, written with the ORM: counts per type and window,
    the last five calls, the active block."""
    from django.db.models import Count

    from calls.models import Call
    from calls.selectors import HISTORY_WINDOWS, _zero_counts, active_block

    calls = Call.objects.filter(caller=caller).exclude(pk=exclude_call_id)
    counts = _zero_counts()
    for window, since in [("ever", None), *((w, now - d) for w, d in HISTORY_WINDOWS.items())]:
        rows = calls if since is None else calls.filter(received_at__gte=since)
        for row in rows.values("call_type").annotate(n=Count("id")):
            counts[window]["all"] += row["n"]
            if row["call_type"]:
                counts[window][row["call_type"]] = row["n"]
    recent = [
        (c.pk, c.received_at, c.call_type, c.notes[:200]) for c in calls.order_by("-received_at")[:5]
    ]
    block = active_block(caller, now=now)
    block = block and {"level": block.level, "expires_at": block.expires_at and block.expires_at.isoformat(), "reason": block.reason}
    return counts, recent, block


@pytest.mark.parametrize("exclude", [False, True])
def test_the_one_statement_history_equals_the_orm_reading(operator, supervisor, django_assert_num_queries, exclude):
    """Counts at each window's edge, unclassified calls, more than five calls, and every kind of
    block (a warning, a lifted one, an expired one, one not started yet, a live one)."""
    from calls.models import Block, Call, Caller

    now = timezone.now().replace(microsecond=0)
    ages = [timedelta(days=40), timedelta(days=30), timedelta(days=29, hours=23), timedelta(days=7),
            timedelta(days=6), timedelta(hours=24), timedelta(hours=23, minutes=59), timedelta(minutes=5)]
    types = ["prank", "ghost", "emergency", "prank", "information", "ghost", "prank", None]
    for age, call_type in zip(ages, types, strict=True):
        with time_machine.travel(now - age, tick=False):
            call, _ = call_create(operator=operator, caller_number="081244445555", notes="x" * 300 if call_type == "ghost" else "iseng")
            if call_type:
                call_classify(call_id=call.pk, user=operator, call_type=call_type,
                              incident_type="kebakaran_bangunan" if call_type == "emergency" else None)
    caller = Caller.objects.get(number="+6281244445555")
    for level, starts, expires, lifted in [
        ("warning", now - timedelta(hours=1), None, None),
        ("day", now - timedelta(days=3), now - timedelta(days=2), None),
        ("week", now - timedelta(days=2), None, now - timedelta(days=1)),
        ("manual", now + timedelta(hours=1), None, None),
        ("day", now - timedelta(hours=2), now + timedelta(hours=22), None),
    ]:
        Block.objects.create(caller=caller, level=level, starts_at=starts, expires_at=expires, lifted_at=lifted, reason=level)
    exclude_id = Call.objects.filter(caller=caller).order_by("-received_at").first().pk if exclude else None

    with django_assert_num_queries(1):
        history = caller_history(caller, now=now, exclude_call_id=exclude_id)
    counts, recent, block = _history_by_orm(caller, now=now, exclude_call_id=exclude_id)
    assert history.counts == counts
    assert [(r["id"], r["received_at"], r["call_type"], r["notes"]) for r in history.recent] == [
        (pk, at.astimezone(UTC).isoformat(), call_type, notes) for pk, at, call_type, notes in recent
    ]
    assert history.block == block and history.blocked is True and block["level"] == "day"
    assert history.calls_total == (7 if exclude else 8)
    # each window includes its edge: the calls of exactly 24 h and 30 days ago count
    assert counts["24h"]["all"] == (2 if exclude else 3) and counts["30d"]["ghost"] == 2 and counts["30d"]["prank"] == 2


def test_a_number_with_no_block_and_no_calls_left_reads_as_empty(operator):
    from calls.models import Caller

    caller = Caller.objects.create(number="+6281266667777", first_seen_at=timezone.now())
    history = caller_history(caller)
    assert history.calls_total == 0 and history.recent == [] and history.block is None and history.blocked is False


def test_the_recent_calls_name_the_incident_an_emergency_opened(ref, operator):
    emergency, _ = call_create(operator=operator, caller_number="081299990077", notes="rumah terbakar")
    emergency = call_classify(call_id=emergency.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    again = make_call(operator, "information", number="081299990077")
    recent = {row["id"]: row["incident_id"] for row in caller_history(again.caller).recent}
    assert recent == {emergency.pk: emergency.incident_id, again.pk: None}
    assert emergency.incident_id is not None
