"""The reports' daily roll-up: the same KPI numbers as the live computation (the WIB day
boundary included), built set-based, never stale after a change to a past day."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
import time_machine

from calls.importer import COLUMNS, import_calls
from calls.models import Call
from reports import rollups, selectors
from reports import services as report_services
from dispatch.models import Dispatch
from reports.models import ReportDay, ReportDayAnswerTime, ReportDayCalls
from dispatch.shifts import WIB
from tests.reports.test_selectors import DAY, NOW, dataset, make_call, wib  # noqa: F401  (the fixed data set)

pytestmark = pytest.mark.django_db

# Two minutes after DAY ended: DAY is not complete yet, so every report reads it live.
JUST_AFTER = wib(DAY + timedelta(days=1), 0, 2)


def all_periods() -> list[selectors.Period]:
    return [
        selectors.period_day(DAY),
        selectors.period_day(DAY + timedelta(days=1)),
        selectors.period_shift(DAY, "malam"),
        selectors.period_month(2026, 3),
        selectors.period_month(2026, 2),
        selectors.period_year(2026),
        selectors.period_range(date(2026, 2, 1), DAY),
    ]


def test_kpis_from_the_rollup_equal_the_live_computation_across_the_wib_day_boundary(dataset):
    with time_machine.travel(JUST_AFTER, tick=False):
        live = [selectors.kpis(period) for period in all_periods()]
        live_year = selectors.yearly_summary(2026)["per_month"]
        live_month = selectors.monthly_summary(2026, 3)
    assert not ReportDay.objects.filter(day=DAY).exists()  # DAY itself was read live
    with time_machine.travel(NOW, tick=False):
        rolled = [selectors.kpis(period) for period in all_periods()]
        rolled_year = selectors.yearly_summary(2026)["per_month"]
        rolled_month = selectors.monthly_summary(2026, 3)
        assert selectors.call_sources(selectors.period_day(DAY)) == ((DAY, DAY), None)
    assert ReportDay.objects.get(day=DAY).built_version == 0
    assert rolled == live
    assert (rolled_year, rolled_month) == (live_year, live_month)
    # And both are the hand-computed figures of the day.
    day = rolled[0]
    assert dict((key, n) for key, _label, n in day["funnel"]) == {
        "calls": 7, "answered": 6, "classified": 6, "emergencies": 2,
        "dispatched": 2, "acknowledged": 2, "on_scene": 1, "resolved": 1,
    }
    assert day["answer"] == {"n": 6, "median": 11.0, "p90": 25.0, "within_15_pct": 66.7, "within_20_pct": 83.3}
    assert day["processing"] == {"n": 2, "median": 45.0, "p90": 49.0, "within_60_pct": 100.0}
    assert rolled_year == [
        ("2026-02", {"emergency": 0, "information": 0, "complaint": 0, "ghost": 0, "prank": 1, "unclassified": 0}),
        ("2026-03", {"emergency": 2, "information": 1, "complaint": 1, "ghost": 1, "prank": 2, "unclassified": 1}),
    ]
    assert rolled_month["per_day"] == [(DAY, 7), (DAY + timedelta(days=1), 1)]


def test_rollup_rows_put_each_call_in_its_wib_day_and_shift(dataset):
    with time_machine.travel(NOW, tick=False):
        assert rollups.rollup_days(DAY - timedelta(days=1), DAY + timedelta(days=1)) == 3
    rows = {(r.day, r.shift, r.operator.username if r.operator else None, r.call_type): (r.calls, r.answered)
            for r in ReportDayCalls.objects.select_related("operator")}
    assert rows == {
        (DAY, "malam", "op_a", "complaint"): (1, 1),  # 00:30 WIB, i.e. 17:30 UTC the day before
        (DAY, "pagi", "op_a", "emergency"): (1, 1),
        (DAY, "pagi", "op_a", "prank"): (1, 1),
        (DAY, "pagi", None, ""): (1, 0),  # abandoned
        (DAY, "siang", "op_b", "ghost"): (1, 1),
        (DAY, "malam", "op_b", "information"): (1, 1),
        (DAY, "malam", "op_b", "emergency"): (1, 1),  # 23:59 WIB
        (DAY + timedelta(days=1), "malam", "op_a", "prank"): (1, 1),  # 00:01 WIB the next day
    }
    assert dict(ReportDayAnswerTime.objects.filter(day=DAY).values_list("seconds", "calls")) == {5: 1, 8: 1, 10: 1, 12: 1, 20: 1, 30: 1}
    assert ReportDay.objects.filter(built_version=0).count() == 3  # the empty day before too


def test_answer_time_is_counted_in_whole_seconds_rounded_up_live_and_rolled_up(ref):
    for n, seconds in enumerate([14.2, 14.6, 15.0, 20.1]):
        received = wib(DAY, 9, n)
        Call.objects.create(received_at=received, answered_at=received + timedelta(seconds=seconds), status="active", pbx_call_id=f"r-{n}")
    # Typed in at the desk without a phone system: "answered" as recorded, 0 s, which counts in neither.
    desk = Call.objects.create(received_at=wib(DAY, 9, 30), answered_at=wib(DAY, 9, 30), status="active")
    expected = {"n": 4, "median": 15.0, "p90": 19.2, "within_15_pct": 75.0, "within_20_pct": 75.0}  # 15, 15, 15, 21
    with time_machine.travel(JUST_AFTER, tick=False):
        assert selectors.answer_stats(selectors.period_day(DAY)) == expected
    with time_machine.travel(NOW, tick=False):
        assert selectors.answer_stats(selectors.period_day(DAY)) == expected
    assert dict(ReportDayAnswerTime.objects.values_list("seconds", "calls")) == {15: 3, 21: 1}
    assert desk.answered_at is not None


def test_with_no_phone_system_data_the_kpi_page_says_so_instead_of_zero_seconds(ref, make_user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for n in range(3):
        at = wib(DAY, 11, n)
        Call.objects.create(received_at=at, answered_at=at, status="active")  # desk calls, no PBX
    supervisor = make_user("supervisor")
    client = Client()
    client.force_login(supervisor)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=supervisor, name="t", confirmed=True).persistent_id
    session.save()
    with time_machine.travel(NOW, tick=False):
        assert selectors.answer_stats(selectors.period_day(DAY))["n"] == 0
        page = client.get("/reports/kpi/", {"period": "day", "date": DAY.isoformat()}).content.decode()
    assert 'data-kpi="answer-none"' in page and "Tidak ada data sistem telepon (PBX)" in page
    assert 'data-kpi="answer-median"' not in page
    # An imported call with its phone system's times counts.
    at = wib(DAY, 12)
    Call.objects.create(received_at=at, answered_at=at + timedelta(seconds=9), status="active", external_id="pbx-export-1")
    with time_machine.travel(NOW, tick=False):
        rollups.rollup_mark_stale(at)  # as the importer does for a day already rolled up
        assert selectors.answer_stats(selectors.period_day(DAY))["n"] == 1
        page = client.get("/reports/kpi/", {"period": "day", "date": DAY.isoformat()}).content.decode()
    assert 'data-kpi="answer-median"' in page and 'data-kpi="answer-none"' not in page


@pytest.mark.parametrize("seconds", [[7], [3, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [0, 0, 40, 2, 19, 19, 7, 120, 15, 16, 5, 5]])
def test_percentiles_from_histograms_interpolate_as_percentile_cont(ref, seconds):
    for n, value in enumerate(seconds):
        received = wib(DAY, 10, n)
        Call.objects.create(received_at=received, answered_at=received + timedelta(seconds=value), status="active", pbx_call_id=f"p-{n}")
    with time_machine.travel(NOW, tick=False):
        stats = selectors.answer_stats(selectors.period_day(DAY))
    assert stats["median"] == round(selectors._percentile_python(seconds, 0.5), 1)
    assert stats["p90"] == round(selectors._percentile_python(seconds, 0.9), 1)
    assert stats["within_15_pct"] == round(100 * sum(v <= 15 for v in seconds) / len(seconds), 1)


def test_a_late_acknowledgement_after_midnight_shows_in_the_past_days_kpis(dataset, make_user):
    from dispatch import services

    dinkes = Dispatch.objects.get(incident=dataset["i2"], agency__code="DINKES")
    with time_machine.travel(NOW, tick=False):
        before = selectors.kpis(selectors.period_day(DAY))
        assert before["agencies"]["DINKES"]["acknowledged"] == 0
        services.dispatch_acknowledge(dispatch_id=dinkes.pk, user=make_user("agency", "DINKES"))
        after = selectors.kpis(selectors.period_day(DAY))
    assert after["agencies"]["DINKES"]["acknowledged"] == 1
    assert after["agencies"]["DINKES"]["ack_seconds"]["median"] == (NOW - dinkes.dispatched_at).total_seconds()
    # Dispatches are read live, never rolled up: nothing to invalidate.
    assert ReportDay.objects.get(day=DAY).version == 0


def test_an_amendment_of_a_signed_off_day_marks_it_stale_and_the_report_follows(dataset, supervisor):
    from calls import services

    with time_machine.travel(NOW, tick=False):
        report_services.day_signoff(day=DAY, user=supervisor)
        assert selectors.calls_by_type(selectors.period_day(DAY))["prank"] == 1
        services.call_classify(call_id=dataset["c2"].pk, user=supervisor, call_type="information")
        day = ReportDay.objects.get(day=DAY)
        assert (day.version, day.built_version) == (1, 0)
        by_type = selectors.calls_by_type(selectors.period_day(DAY))
        march = selectors.kpis(selectors.period_month(2026, 3))
    assert (by_type["prank"], by_type["information"]) == (0, 2)
    assert {row["key"]: row["prank"] for row in march["shares"]["by_operator"]} == {"op_a": 1, "op_b": 0, "-": 0}  # c6 only
    assert ReportDay.objects.get(day=DAY).built_version == 1


def test_an_import_into_a_past_day_marks_it_stale(dataset):
    row = {name: "" for name in COLUMNS} | {
        "external_id": "h-9", "received_at": wib(DAY, 12).isoformat(), "answered_at": wib(DAY, 12, 0, 9).isoformat(), "call_type": "prank",
    }
    csv_text = ",".join(COLUMNS) + "\n" + ",".join(row[name] for name in COLUMNS) + "\n"
    with time_machine.travel(NOW, tick=False):
        assert selectors.calls_by_type(selectors.period_day(DAY))["prank"] == 1
        assert import_calls(io.StringIO(csv_text)).created == 1
        assert ReportDay.objects.get(day=DAY).version == 1
        assert selectors.calls_by_type(selectors.period_day(DAY))["prank"] == 2
        assert selectors.answer_stats(selectors.period_day(DAY))["n"] == 7


@pytest.mark.parametrize("how", ["pbx_answered", "claimed_at_desk", "late_ringing"])
def test_a_late_pbx_event_or_claim_for_a_call_of_a_rolled_up_day_marks_it_stale(ref, make_user, how):
    from calls.telephony import call_claim, telephony_event

    pbx, operator = make_user("pbx"), make_user("operator")
    rang, next_day = wib(DAY, 23, 58), DAY + timedelta(days=1)

    def unclassified(day):
        return selectors.calls_by_type(selectors.period_day(day)).get("unclassified", 0)

    with time_machine.travel(rang, tick=False):
        if how == "late_ringing":  # the hangup arrives first and records the call at its own time, the next day
            telephony_event(pbx=pbx, event="hangup", pbx_call_id="p-1", at=rang + timedelta(days=1))
        else:
            telephony_event(pbx=pbx, event="ringing", pbx_call_id="p-1", at=rang, caller_number="081277770000")
    call = Call.objects.get(pbx_call_id="p-1")
    with time_machine.travel(wib(next_day + timedelta(days=1), 0, 10), tick=False):
        assert (unclassified(DAY), unclassified(next_day)) == ((0, 1) if how == "late_ringing" else (1, 0))  # both rolled up
        if how == "pbx_answered":
            telephony_event(pbx=pbx, event="answered", pbx_call_id="p-1", at=rang + timedelta(seconds=40))
        elif how == "claimed_at_desk":
            call_claim(call_id=call.pk, user=operator)
        else:
            telephony_event(pbx=pbx, event="ringing", pbx_call_id="p-1", at=rang)
        assert ReportDay.objects.get(day=DAY).version == 1
        if how == "late_ringing":
            assert ReportDay.objects.get(day=next_day).version == 1
            assert (unclassified(DAY), unclassified(next_day)) == (1, 0)
        else:
            assert selectors.answer_stats(selectors.period_day(DAY))["n"] == 1


def test_marking_a_call_of_today_stale_costs_no_query(ref, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(0):
        rollups.rollup_mark_stale(NOW, NOW - timedelta(hours=8), None)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1):
        rollups.rollup_mark_stale(NOW - timedelta(days=1))


def test_a_day_is_rolled_up_only_after_it_ended(ref):
    end_of_day = wib(DAY + timedelta(days=1), 0, 0)
    assert rollups.last_complete_day(end_of_day + rollups.ROLLUP_AFTER - timedelta(seconds=1)) == DAY - timedelta(days=1)
    assert rollups.last_complete_day(end_of_day + rollups.ROLLUP_AFTER) == DAY
    with time_machine.travel(end_of_day, tick=False):
        assert rollups.rollup_days(DAY, DAY) == 0
        assert selectors.call_sources(selectors.period_month(2026, 3)) == ((date(2026, 3, 1), DAY - timedelta(days=1)), wib_bounds(DAY, date(2026, 4, 1)))


def wib_bounds(first: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, datetime.min.time(), tzinfo=WIB), datetime.combine(end, datetime.min.time(), tzinfo=WIB)


@pytest.mark.parametrize("calls_per_day", [1, 6])
def test_the_periodic_task_builds_every_ended_day_with_a_fixed_number_of_queries(ref, django_assert_max_num_queries, calls_per_day):
    from reports.tasks import report_rollups

    first = date(2026, 2, 10)
    for n in range(30):
        for k in range(calls_per_day):
            received = wib(first + timedelta(days=n), 8 + k)
            Call.objects.create(received_at=received, answered_at=received + timedelta(seconds=k), status="active", pbx_call_id=f"t-{n}-{k}")
    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(12):  # one run of 30 days: the same statements for 30 or 180 calls
            assert report_rollups.delay().get() == 30
        with django_assert_max_num_queries(2):  # nothing to do: the first call, then one count
            assert report_rollups.delay().get() == 0
    assert ReportDay.objects.filter(built_version=0).count() == 30
    assert sum(ReportDayCalls.objects.values_list("calls", flat=True)) == 30 * calls_per_day


def test_the_rollup_task_is_on_the_beat_schedule():
    from dispatch.celery import app

    assert app.conf.beat_schedule["report-rollups"]["task"] == "reports.tasks.report_rollups"


def test_the_yearly_summary_page_reads_the_rollup_with_a_bounded_number_of_queries(dataset, supervisor, django_assert_max_num_queries):
    from django.test import Client

    client = Client()
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        assert client.get("/reports/kpi/", {"period": "year", "year": "2026"}).status_code == 200  # builds the ended days
        with django_assert_max_num_queries(40):
            response = client.get("/reports/kpi/", {"period": "year", "year": "2026"})
    assert response.status_code == 200
    assert 'data-kpi="answer-median">9,0 s' in response.content.decode()  # 1, 3, 5, 8, 10, 12, 20, 30 s
    assert response.context["per_month"][1][1]["emergency"] == 2


@pytest.mark.services  # concurrent transactions on row locks: PostgreSQL semantics
@pytest.mark.django_db(transaction=True)
def test_a_change_that_commits_while_a_build_reads_the_day_leaves_the_day_stale(ref, supervisor, monkeypatch):
    import threading
    import time

    from django.db import connection

    from calls import services

    call = make_call(wib(DAY, 9), answer_after=4, call_type="prank")
    reading, go_on = threading.Event(), threading.Event()
    build_run = rollups._build_run

    def paused_build_run(first, last):
        reading.set()  # the day's ReportDay row is locked; the calls are read when go_on is set
        assert go_on.wait(timeout=20)
        build_run(first, last)

    def in_thread(work, errors):
        try:
            with time_machine.travel(NOW, tick=False):
                work()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    errors: list[Exception] = []
    monkeypatch.setattr(rollups, "_build_run", paused_build_run)
    builder = threading.Thread(target=in_thread, args=(lambda: rollups.rollup_days(DAY, DAY), errors))
    builder.start()
    assert reading.wait(timeout=20)
    writer = threading.Thread(target=in_thread, args=(
        lambda: services.call_classify(call_id=call.pk, user=supervisor, call_type="information"), errors,
    ))
    writer.start()
    with connection.cursor() as cursor:  # until the reclassification waits for the build's lock on the day
        for _ in range(500):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the reclassification never waited for the build")
    go_on.set()
    builder.join(timeout=30)
    writer.join(timeout=30)
    assert not errors, errors
    day = ReportDay.objects.get(day=DAY)
    assert (day.version, day.built_version) == (1, 0)  # built without the change, and marked stale by it
    assert ReportDayCalls.objects.get(day=DAY).call_type == "prank"
    monkeypatch.setattr(rollups, "_build_run", build_run)
    with time_machine.travel(NOW, tick=False):
        assert selectors.calls_by_type(selectors.period_day(DAY))["information"] == 1
    assert ReportDay.objects.get(day=DAY).built_version == 1
