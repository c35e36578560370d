"""`manage.py sweep_status`: the beat service's health check."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dispatch.models import SweepRun

pytestmark = pytest.mark.django_db


def _status(*args: str) -> str:
    out = StringIO()
    call_command("sweep_status", *args, stdout=out)
    return out.getvalue()


def test_a_recent_task_sweep_is_healthy_and_both_runners_are_shown(db):
    with time_machine.travel(timezone.now(), tick=False):
        SweepRun.objects.create(runner="task", finished_at=timezone.now() - timedelta(seconds=4))
        output = _status()
    assert "task queue: " in output and "WIB (4 s ago)" in output
    assert "web stand-in: never" in output


@pytest.mark.parametrize("age", [None, 61])
def test_no_task_sweep_within_the_limit_fails(db, age):
    if age is not None:
        SweepRun.objects.create(runner="task", finished_at=timezone.now() - timedelta(seconds=age))
    SweepRun.objects.create(runner="web", finished_at=timezone.now())  # the stand-in does not make the queue healthy
    with pytest.raises(CommandError, match="no sweep through the task queue in the last 60 s"):
        _status()


def test_the_limit_is_set_on_the_command_line(db):
    SweepRun.objects.create(runner="task", finished_at=timezone.now() - timedelta(seconds=90))
    assert "task queue" in _status("--max-age", "120")
