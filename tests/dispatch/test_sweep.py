"""The sweep records where it ran; a web process stands in while no task sweep has finished for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dispatch import services
from dispatch.models import Dispatch, SweepRun
from dispatch.sweep import run_sweep, sweep_if_stalled

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
STALLED_AFTER = timedelta(seconds=30)


def test_a_sweep_records_when_and_where_it_finished(ref):
    with time_machine.travel(START, tick=False):
        run_sweep()
    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        run_sweep()
        run_sweep(runner="web")
    assert dict(SweepRun.objects.values_list("runner", "finished_at")) == {
        "task": START + timedelta(seconds=5), "web": START + timedelta(seconds=5),
    }


@pytest.mark.parametrize(
    ("last_task_sweep", "watching_since", "stalled"),
    [
        (None, START - timedelta(seconds=29), False),  # just started watching: give the task queue its time
        (None, START - timedelta(seconds=30), True),
        (START - timedelta(seconds=29), START - timedelta(hours=1), False),
        (START - timedelta(seconds=30), START - timedelta(hours=1), True),
        (START - timedelta(hours=1), START - timedelta(seconds=10), False),  # an old sweep, a new watcher
    ],
)
def test_a_web_process_stands_in_once_no_task_sweep_has_finished_for_the_whole_wait(ref, last_task_sweep, watching_since, stalled):
    if last_task_sweep:
        SweepRun.objects.create(runner="task", finished_at=last_task_sweep)
    SweepRun.objects.create(runner="web", finished_at=START - timedelta(seconds=1))  # a stand-in's own sweeps do not count

    with time_machine.travel(START, tick=False):
        result = sweep_if_stalled(since=watching_since, stalled_after=STALLED_AFTER)

    assert (result is not None) is stalled
    assert SweepRun.objects.get(runner="web").finished_at == (START if stalled else START - timedelta(seconds=1))


def _overdue_dispatch(open_incident, operator) -> Dispatch:
    with time_machine.travel(START - timedelta(minutes=10), tick=False):
        incident = open_incident("kebakaran_bangunan")
        [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    return dispatch


def test_the_stand_in_escalates_what_the_task_queue_left(open_incident, operator):
    dispatch = _overdue_dispatch(open_incident, operator)
    SweepRun.objects.create(runner="task", finished_at=START - timedelta(minutes=2))

    with time_machine.travel(START, tick=False):
        result = sweep_if_stalled(since=START - timedelta(hours=1), stalled_after=STALLED_AFTER)

    dispatch.refresh_from_db()
    assert result["escalated"] == 1 and dispatch.escalation_level == 1
    assert SweepRun.objects.get(runner="web").finished_at == START


def test_the_stand_in_does_nothing_while_the_task_queue_sweeps(open_incident, operator):
    dispatch = _overdue_dispatch(open_incident, operator)
    SweepRun.objects.create(runner="task", finished_at=START - timedelta(seconds=5))

    with time_machine.travel(START, tick=False):
        assert sweep_if_stalled(since=START - timedelta(hours=1), stalled_after=STALLED_AFTER) is None

    dispatch.refresh_from_db()
    assert dispatch.escalation_level == 0 and not SweepRun.objects.filter(runner="web").exists()


def _alerts(kind: str) -> list[dict]:
    from dispatch.models import Event

    return [e.data for e in Event.objects.filter(type="alert").order_by("seq") if e.data["kind"] == kind]


def test_the_floor_is_told_once_when_the_web_processes_stand_in_and_once_when_the_queue_is_back(ref):
    watching_since = START - timedelta(hours=1)
    with time_machine.travel(START - timedelta(minutes=5), tick=False):  # 09:55 WIB
        run_sweep()
    assert _alerts("sweep_stand_in") == [] and _alerts("sweep_task_queue_back") == []

    for seconds in (0, 5, 10):  # three passes of the stand-in (as from several processes): one alert
        with time_machine.travel(START + timedelta(seconds=seconds), tick=False):
            assert sweep_if_stalled(since=watching_since, stalled_after=STALLED_AFTER) is not None
    [stand_in] = _alerts("sweep_stand_in")
    assert "sejak 09:55 WIB" in stand_in["message"] and "server web mengambil alih" in stand_in["message"]
    assert stand_in["last_task_sweep"] == (START - timedelta(minutes=5)).isoformat()

    for seconds in (20, 25):  # the task queue sweeps again: one alert
        with time_machine.travel(START + timedelta(seconds=seconds), tick=False):
            run_sweep()
    assert len(_alerts("sweep_task_queue_back")) == 1

    with time_machine.travel(START + timedelta(minutes=10), tick=False):  # a later outage is announced again
        sweep_if_stalled(since=watching_since, stalled_after=STALLED_AFTER)
    assert len(_alerts("sweep_stand_in")) == 2


def test_a_stand_in_with_no_task_sweep_ever_says_so(ref):
    with time_machine.travel(START, tick=False):
        sweep_if_stalled(since=START - timedelta(minutes=1), stalled_after=STALLED_AFTER)
        sweep_if_stalled(since=START - timedelta(minutes=1), stalled_after=STALLED_AFTER)
    [stand_in] = _alerts("sweep_stand_in")
    assert "sejak server web berjalan" in stand_in["message"] and stand_in["last_task_sweep"] is None
