"""Beat's scheduler makes a new broker connection after a send fails (dispatch/beat.py)."""

from __future__ import annotations

import pytest
from celery import Celery
from celery.beat import ScheduleEntry, Scheduler, SchedulingError

from dispatch.beat import ReconnectingScheduler


def test_celerys_scheduler_keeps_its_connection_and_producer_in_cached_properties():
    """The upstream behaviour dispatch/beat.py relies on: both live in the instance's __dict__ once read."""
    from functools import cached_property

    for name in ("connection", "producer"):
        assert isinstance(Scheduler.__dict__[name], cached_property), f"Scheduler.{name} is no longer a cached property"


@pytest.fixture
def scheduler(tmp_path):
    app = Celery("beat-test", broker="memory://")
    sent = []
    name = f"sweep-{tmp_path.name}"

    @app.task(name=name)
    def sweep():  # pragma: no cover - only sent, never run
        return None

    original = sweep.apply_async
    failures = {"left": 1}

    def apply_async(*args, producer=None, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("channel disconnected")
        sent.append(producer)
        return original(*args, producer=producer, **kwargs)

    sweep.apply_async = apply_async
    sched = ReconnectingScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    sched.setup_schedule()
    yield sched, sent, ScheduleEntry(name="sweep", task=name, schedule=5, app=app)
    sched.close()


def test_a_failed_send_drops_the_connection_and_the_next_send_makes_a_new_one(scheduler):
    sched, sent, entry = scheduler
    first_producer, first_connection = sched.producer, sched.connection
    with pytest.raises(SchedulingError):
        sched.apply_async(entry, producer=first_producer, advance=False)
    assert "producer" not in sched.__dict__ and "connection" not in sched.__dict__

    sched.apply_async(entry, producer=sched.producer, advance=False)
    assert sent and sent[0] is not first_producer
    assert sched.connection is not first_connection


def test_a_send_that_works_keeps_the_connection(scheduler):
    sched, sent, entry = scheduler
    with pytest.raises(SchedulingError):
        sched.apply_async(entry, producer=sched.producer, advance=False)
    producer = sched.producer
    sched.apply_async(entry, producer=producer, advance=False)
    sched.apply_async(entry, producer=sched.producer, advance=False)
    assert sent == [producer, producer]


def test_the_project_runs_beat_with_this_scheduler(settings):
    from dispatch.celery import app

    assert app.conf.beat_scheduler == "dispatch.beat:ReconnectingScheduler"
