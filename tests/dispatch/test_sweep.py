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


def test_a_p1_incident_still_not_dispatched_after_the_setting_raises_one_alert(open_incident, settings):
    settings.P1_UNDISPATCHED_ALARM_SECONDS = 60
    with time_machine.travel(START, tick=False):
        incident = open_incident("kebakaran_bangunan")
    with time_machine.travel(START + timedelta(seconds=59), tick=False):
        assert run_sweep()["p1_undispatched"] == 0
    with time_machine.travel(START + timedelta(seconds=72), tick=False):
        assert run_sweep()["p1_undispatched"] == 1
    with time_machine.travel(START + timedelta(seconds=80), tick=False):  # later sweeps, and a stand-in: once
        assert run_sweep()["p1_undispatched"] == 0
        assert run_sweep(runner="web")["p1_undispatched"] == 0

    [alert] = _alerts("p1_undispatched")
    assert alert["incident_id"] == incident.pk and alert["seconds"] == 72
    assert alert["created_at"] == START.isoformat()
    assert f"#{incident.pk}" in alert["message"] and "belum dikirim" in alert["message"] and "1:12" in alert["message"]
    incident.refresh_from_db()
    assert incident.p1_alarmed_at == START + timedelta(seconds=72)
    from dispatch.models import AuditLog

    assert AuditLog.objects.filter(action="incident.p1_undispatched", object_id=str(incident.pk)).count() == 1


def test_a_dispatched_p1_a_p2_and_a_closed_p1_raise_no_alert(open_incident, operator, settings):
    settings.P1_UNDISPATCHED_ALARM_SECONDS = 60
    with time_machine.travel(START, tick=False):
        dispatched = open_incident("kebakaran_bangunan", number="081234500011")
        services.incident_dispatch(incident_id=dispatched.pk, user=operator, agency_codes=["DAMKAR"])
        open_incident("kebakaran_lahan", number="081234500012")  # P2
        closed = open_incident("darurat_medis", number="081234500013")
        services.incident_close(incident_id=closed.pk, user=operator)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        assert run_sweep()["p1_undispatched"] == 0
    assert _alerts("p1_undispatched") == []


def test_sweeps_side_by_side_alert_each_late_p1_once(open_incident, settings):
    from dispatch.alarms import alarm_undispatched_p1

    settings.P1_UNDISPATCHED_ALARM_SECONDS = 30
    with time_machine.travel(START, tick=False):
        first = open_incident("kebakaran_bangunan", number="081234500021")
        second = open_incident("kecelakaan_lalu_lintas", number="081234500022")
    with time_machine.travel(START + timedelta(seconds=31), tick=False):
        assert alarm_undispatched_p1() + alarm_undispatched_p1() == 2
    assert sorted(a["incident_id"] for a in _alerts("p1_undispatched")) == sorted([first.pk, second.pk])


def test_the_sweep_also_flags_a_late_callback(ref, api, settings):
    from calls.models import Callback

    settings.CALLBACK_MINUTES = 5
    with time_machine.travel(START, tick=False):
        call_id = api.post("/api/v1/calls/", {"caller_number": "081234500031"}, format="json").json()["id"]
        api.post(f"/api/v1/calls/{call_id}/classify/", {"call_type": "ghost"}, format="json")
    with time_machine.travel(START + timedelta(minutes=5, seconds=1), tick=False):
        assert run_sweep()["callbacks_overdue"] == 1
    [alert] = _alerts("callback_overdue")
    assert alert["call_id"] == call_id
    assert Callback.objects.get(call_id=call_id).overdue_flagged_at is not None
