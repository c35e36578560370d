from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from calls.quality import corrections_per_operator, review_record, sample_shift
from calls.services import call_classify, call_create
from dispatch.shifts import WIB

pytestmark = pytest.mark.django_db


def classified(operator, call_type, at):
    with time_machine.travel(at, tick=False):
        call, _ = call_create(operator=operator, caller_number=None)
        return call_classify(call_id=call.pk, user=operator, call_type=call_type)


def test_sample_takes_five_percent_of_the_shifts_prank_and_ghost_calls(operator):
    day = datetime(2026, 3, 2, tzinfo=WIB).date()
    for minute in range(40):
        classified(operator, "prank" if minute % 2 else "ghost", datetime(2026, 3, 2, 8, minute, tzinfo=WIB))
    classified(operator, "information", datetime(2026, 3, 2, 9, 0, tzinfo=WIB))
    classified(operator, "prank", datetime(2026, 3, 2, 15, 0, tzinfo=WIB))  # afternoon shift
    sample = sample_shift(day=day, shift="pagi", seed=1)
    assert len(sample) == 2
    assert all(r.original_type in ("prank", "ghost") for r in sample)
    assert sample_shift(day=day, shift="pagi", rate=1.0, seed=1).__len__() == 38  # the rest, never twice


def test_night_shift_spans_midnight(operator):
    classified(operator, "prank", datetime(2026, 3, 3, 2, 0, tzinfo=WIB))
    assert len(sample_shift(day=datetime(2026, 3, 2).date(), shift="malam")) == 1


def test_corrections_are_counted_per_operator(operator, supervisor):
    call = classified(operator, "ghost", datetime(2026, 3, 2, 8, 0, tzinfo=WIB))
    other = classified(operator, "prank", datetime(2026, 3, 2, 8, 5, tzinfo=WIB))
    reviews = sample_shift(day=datetime(2026, 3, 2).date(), shift="pagi", rate=1.0)
    by_call = {r.call_id: r for r in reviews}
    review_record(review_id=by_call[call.pk].pk, user=supervisor, corrected_type="emergency", note="ternyata korban tidak bisa bicara")
    review_record(review_id=by_call[other.pk].pk, user=supervisor, corrected_type="prank")
    row = list(corrections_per_operator())[0]
    assert row == {"operator": operator.username, "reviewed": 2, "corrected": 1}
