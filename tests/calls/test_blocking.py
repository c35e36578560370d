"""The block ladder: repeat pranksters move up and come back down by expiry; calls are never dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from calls import blocking
from calls.models import Block, Call
from calls.selectors import active_block, caller_history
from calls.services import call_classify, call_create
from dispatch.models import Event

pytestmark = pytest.mark.django_db
NUMBER = "081211112222"


def prank(operator, number=NUMBER, call_type="prank"):
    call, _ = call_create(operator=operator, caller_number=number)
    return call_classify(call_id=call.pk, user=operator, call_type=call_type)


def test_threshold_pranks_give_a_warning_then_a_day_block(operator):
    for _ in range(2):
        prank(operator)
    assert not Block.objects.exists()
    prank(operator)
    assert list(Block.objects.values_list("level", flat=True)) == ["warning"]
    # A warning does not block.
    assert active_block(Call.objects.first().caller) is None
    for _ in range(3):
        prank(operator, call_type="ghost")
    block = Block.objects.order_by("-starts_at").first()
    assert block.level == "day"
    assert block.expires_at - block.starts_at == timedelta(hours=24)
    assert active_block(block.caller) == block
    assert Event.objects.filter(type="caller.blocked").count() == 2


def test_ladder_climbs_to_review_and_blocks_expire_by_themselves(operator):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        levels = []
        for _step in range(4):
            for _ in range(3):
                prank(operator)
            levels.append(Block.objects.order_by("-starts_at").first().level)
            traveller.shift(timedelta(minutes=1))
        assert levels == ["warning", "day", "week", "review"]
        caller = Block.objects.first().caller
        assert active_block(caller).level == "review"
        assert active_block(caller).expires_at is None
        blocking.block_lift(caller_number=caller.number, user=operator, reason="ditinjau supervisor")
        assert active_block(caller) is None


def test_day_block_expires_and_number_steps_down_after_reset_window(operator):
    start = timezone.now()
    with time_machine.travel(start, tick=True) as traveller:
        for _ in range(6):
            prank(operator)
        caller = Block.objects.first().caller
        assert active_block(caller).level == "day"
        traveller.shift(timedelta(hours=25))
        assert active_block(caller) is None
        # After the ladder reset window, old steps no longer count: the next step is a warning again.
        traveller.shift(timedelta(days=blocking.current_policy().ladder_reset_days + 1))
        for _ in range(3):
            prank(operator)
        assert Block.objects.order_by("-starts_at").first().level == "warning"


def test_blocked_number_is_still_recorded_and_flagged(operator):
    blocking.block_manual(caller_number="+6281211112222", user=operator, reason="prank berulang", hours=24)
    call, created = call_create(operator=operator, caller_number=NUMBER)
    assert created and call.caller_blocked
    assert caller_history(call.caller).blocked is True


def test_repeated_calls_from_a_blocked_number_alert_supervisors_once(operator):
    blocking.block_manual(caller_number="+6281211112222", user=operator, reason="prank berulang", hours=24)
    policy = blocking.current_policy()
    for _ in range(policy.burst_calls + 2):
        call_create(operator=operator, caller_number=NUMBER)
    alerts = Event.objects.filter(type="alert", data__kind="blocked_caller_burst")
    assert alerts.count() == 1
    assert "mungkin darurat" in alerts.get().data["message"]


def test_manual_block_and_lift_need_a_reason(operator):
    from dispatch.errors import Conflict

    with pytest.raises(Conflict):
        blocking.block_manual(caller_number="+6281211112222", user=operator, reason=" ", hours=1)
    blocking.block_manual(caller_number="+6281211112222", user=operator, reason="iseng", hours=None)
    with pytest.raises(Conflict):
        blocking.block_lift(caller_number="+6281211112222", user=operator, reason="")
    assert blocking.block_lift(caller_number="+6281211112222", user=operator, reason="salah blokir") == 1


def test_the_burst_alert_is_stored_in_the_floors_language_whoever_made_the_call(operator):
    from django.utils import translation

    blocking.block_manual(caller_number="+6281211112222", user=operator, reason="prank berulang", hours=24)
    with translation.override("en"):  # an operator working in English records the calls
        for _ in range(blocking.current_policy().burst_calls):
            call_create(operator=operator, caller_number=NUMBER)
    assert "mungkin darurat" in Event.objects.get(type="alert", data__kind="blocked_caller_burst").data["message"]
