from __future__ import annotations

import pytest
from django.test import Client

from calls.models import Block, BlockPolicy

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_supervisor_blocks_and_unblocks_a_number_with_a_reason(supervisor):
    client = logged_in(supervisor)
    response = client.post("/supervisor/blocks/", {"action": "block", "number": "0812 3333 4444", "reason": "iseng berulang", "hours": 24})
    assert response.status_code == 302
    block = Block.objects.get()
    assert block.caller.number == "+6281233334444" and block.created_by == supervisor
    page = client.get("/supervisor/blocks/")
    assert b"+6281233334444" in page.content
    client.post("/supervisor/blocks/", {"action": "unblock", "number": "081233334444", "reason": "salah nomor"})
    block.refresh_from_db()
    assert block.lifted_at is not None and block.lift_reason == "salah nomor"


def test_supervisor_tunes_the_ladder(supervisor):
    client = logged_in(supervisor)
    values = {"window_days": 14, "threshold": 5, "ladder_reset_days": 60, "day_hours": 12, "week_days": 3, "burst_calls": 4, "burst_minutes": 5}
    client.post("/supervisor/blocks/", {"action": "policy", **values})
    policy = BlockPolicy.objects.get()
    assert (policy.threshold, policy.day_hours, policy.updated_by) == (5, 12, supervisor)


def test_operators_cannot_reach_supervisor_pages(operator):
    client = logged_in(operator)
    assert client.get("/supervisor/blocks/").status_code == 403
    assert client.get("/supervisor/quality/").status_code == 403
