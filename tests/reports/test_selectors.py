"""Reports: KPIs against hand-computed values, the WIB day boundary, the daily
API, the daily log, the timeline, sign-off with amendments, the digest."""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.core import mail
from django.test import Client

from agencies.models import Agency, IncidentType, Kelurahan
from calls.models import Block, Call, Caller, CallTransition
from reports import selectors
from reports import services as report_services
from dispatch.models import Dispatch, DispatchTransition, Incident, IncidentTransition
from reports.models import Amendment, DailyDigest, DaySignoff
from dispatch.shifts import WIB

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 12, 9, 0, tzinfo=WIB)  # the fixed "now": two days after DAY


def wib(day: date, h: int, m: int = 0, s: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=WIB)


def make_call(received, *, answer_after=None, call_type="", operator=None, incident=None, number=None, notes="", kelurahan=None):
    caller = Caller.objects.get_or_create(number=number, defaults={"first_seen_at": received})[0] if number else None
    call = Call.objects.create(
        caller=caller,
        received_at=received,
        answered_at=received + timedelta(seconds=answer_after) if answer_after is not None else None,
        # Answered calls rang through the phone system: the PBX's id makes their answer time count.
        pbx_call_id=f"pbx-{received.isoformat()}-{number or ''}-{answer_after}" if answer_after is not None else None,
        status="classified" if call_type else ("active" if answer_after is not None else "abandoned"),
        call_type=call_type,
        classified_at=received + timedelta(seconds=(answer_after or 0) + 30) if call_type else None,
        operator=operator,
        incident=incident,
        notes=notes,
        kelurahan=kelurahan,
    )
    CallTransition.objects.create(call=call, at=received, by=operator, from_status="", to_status=call.status)
    return call


def make_incident(code, created_at, kelurahan=None):
    itype = IncidentType.objects.get(code=code)
    incident = Incident.objects.create(incident_type=itype, priority=itype.priority, created_at=created_at, kelurahan=kelurahan, status="dispatched")
    IncidentTransition.objects.create(incident=incident, at=created_at, from_status="", to_status="open")
    return incident


def make_dispatch(incident, code, dispatched_at, *, ack_after=None, scene_after=None, resolved_after=None, escalated=False, by=None):
    at = lambda s: dispatched_at + timedelta(seconds=s) if s is not None else None  # noqa: E731
    status = "resolved" if resolved_after else ("on_scene" if scene_after else ("acknowledged" if ack_after else "dispatched"))
    dispatch = Dispatch.objects.create(
        incident=incident, agency=Agency.objects.get(code=code), status=status, dispatched_at=dispatched_at,
        ack_deadline=dispatched_at + timedelta(seconds=60), acknowledged_at=at(ack_after), on_scene_at=at(scene_after),
        resolved_at=at(resolved_after), escalation_level=1 if escalated else 0,
    )
    DispatchTransition.objects.create(dispatch=dispatch, at=dispatched_at, from_status="", to_status="dispatched")
    if ack_after:
        DispatchTransition.objects.create(dispatch=dispatch, at=at(ack_after), by=by, from_status="dispatched", to_status="acknowledged")
    return dispatch


@pytest.fixture
def dataset(ref, make_user):
    """The fixed day. Answer times 5, 8, 10, 12, 20, 30 s; incidents processed in 40 s and 50 s."""
    op_a, op_b = make_user("operator", username="op_a"), make_user("operator", username="op_b")
    damkar_staff = make_user("agency", "DAMKAR", username="staf_d")
    pagar_dewa = Kelurahan.objects.get(code="17.71.01.1001")
    c1_at = wib(DAY, 8)
    i1 = make_incident("kebakaran_bangunan", c1_at + timedelta(seconds=35), kelurahan=pagar_dewa)
    c1 = make_call(c1_at, answer_after=5, call_type="emergency", operator=op_a, incident=i1, number="+6281111111111",
                   notes="rumah terbakar", kelurahan=pagar_dewa)
    make_dispatch(i1, "DAMKAR", c1_at + timedelta(seconds=40), ack_after=30, scene_after=600, resolved_after=1200, by=damkar_staff)
    c2 = make_call(wib(DAY, 9), answer_after=10, call_type="prank", operator=op_a, number="+6282222222222", kelurahan=pagar_dewa)
    make_call(wib(DAY, 10), number="+6283333333333")  # abandoned, never answered
    make_call(wib(DAY, 15), answer_after=20, call_type="ghost", operator=op_b)
    make_call(wib(DAY, 22), answer_after=30, call_type="information", operator=op_b)
    c5_at = wib(DAY, 23, 59)  # 23:59 WIB: the last minute of DAY
    i2 = make_incident("kecelakaan_lalu_lintas", c5_at + timedelta(seconds=20))
    c5 = make_call(c5_at, answer_after=12, call_type="emergency", operator=op_b, incident=i2)
    make_dispatch(i2, "POLRESTA", c5_at + timedelta(seconds=50), ack_after=60)
    make_dispatch(i2, "DINKES", c5_at + timedelta(seconds=50), escalated=True)
    # 00:30 WIB on DAY is 17:30 UTC the day before: it belongs to DAY.
    c7 = make_call(datetime(2026, 3, 9, 17, 30, tzinfo=dt_timezone.utc), answer_after=8, call_type="complaint", operator=op_a)
    # 00:01 WIB the next day (17:01 UTC on DAY): not DAY.
    c6 = make_call(wib(DAY + timedelta(days=1), 0, 1), answer_after=3, call_type="prank", operator=op_a)
    # Another month entirely.
    make_call(wib(date(2026, 2, 10), 12), answer_after=1, call_type="prank", operator=op_a)
    Block.objects.create(caller=c2.caller, level="warning", starts_at=wib(DAY, 9, 5))
    return {"c1": c1, "c2": c2, "c5": c5, "c6": c6, "c7": c7, "i1": i1, "i2": i2, "op_a": op_a, "op_b": op_b}


def test_answer_time_median_p90_and_shares_are_hand_computed(dataset):
    stats = selectors.answer_stats(selectors.period_day(DAY))
    # 5, 8, 10, 12, 20, 30: median (10+12)/2; p90 at position 4.5 -> 20 + 0.5 * 10.
    assert stats == {"n": 6, "median": 11.0, "p90": 25.0, "within_15_pct": 66.7, "within_20_pct": 83.3}


def test_processing_time_is_first_call_to_first_dispatch_per_incident(dataset):
    stats = selectors.processing_stats(selectors.period_day(DAY))
    # 40 s and 50 s: median 45, p90 40 + 0.9 * 10.
    assert stats == {"n": 2, "median": 45.0, "p90": 49.0, "within_60_pct": 100.0}


def test_funnel_and_call_types(dataset):
    period = selectors.period_day(DAY)
    assert dict(selectors.funnel(period)) == {
        "calls": 7, "answered": 6, "classified": 6, "emergencies": 2,
        "dispatched": 2, "acknowledged": 2, "on_scene": 1, "resolved": 1,
    }
    assert selectors.calls_by_type(period) == {
        "emergency": 2, "information": 1, "complaint": 1, "ghost": 1, "prank": 1, "unclassified": 1,
    }
    assert selectors.incidents_by_type(period) == {"kebakaran_bangunan": 1, "kecelakaan_lalu_lintas": 1}


def test_agency_ack_on_scene_and_escalations(dataset):
    agencies = selectors.agency_stats(selectors.period_day(DAY))
    assert set(agencies) == {"DAMKAR", "POLRESTA", "DINKES"}
    assert agencies["DAMKAR"]["ack_seconds"] == {"median": 30.0, "p90": 30.0}
    assert agencies["DAMKAR"]["on_scene_seconds"] == {"median": 600.0, "p90": 600.0}
    assert agencies["POLRESTA"]["ack_seconds"] == {"median": 60.0, "p90": 60.0}
    assert agencies["DINKES"] == {
        "dispatched": 1, "acknowledged": 0, "escalated": 1,
        "ack_seconds": {"median": None, "p90": None}, "on_scene_seconds": {"median": None, "p90": None},
        "ack_target_seconds": Agency.objects.get(code="DINKES").ack_seconds(2),
    }


def test_wib_day_boundary(dataset):
    day_ids = set(selectors.calls_in(selectors.period_day(DAY)).values_list("pk", flat=True))
    assert dataset["c5"].pk in day_ids  # 23:59 WIB
    assert dataset["c7"].pk in day_ids  # 00:30 WIB = 17:30 UTC the previous day
    assert dataset["c6"].pk not in day_ids  # 00:01 WIB the next day
    next_day = set(selectors.calls_in(selectors.period_day(DAY + timedelta(days=1))).values_list("pk", flat=True))
    assert next_day == {dataset["c6"].pk}


def test_shift_and_month_periods_and_prank_shares(dataset):
    night = selectors.period_shift(DAY, "malam")
    assert night.start == wib(DAY, 21) and night.end == wib(DAY + timedelta(days=1), 7)
    assert selectors.calls_in(night).count() == 3  # 22:00, 23:59 and 00:01 the next morning
    shares = selectors.prank_ghost_shares(selectors.period_day(DAY))
    by_shift = {row["key"]: row for row in shares["by_shift"]}
    assert by_shift["pagi"]["total"] == 3 and by_shift["pagi"]["prank_pct"] == 33.3
    assert by_shift["siang"]["ghost_pct"] == 100.0
    assert by_shift["malam"]["total"] == 3 and by_shift["malam"]["prank"] == 0
    by_operator = {row["key"]: row for row in shares["by_operator"]}
    assert by_operator["op_a"]["total"] == 3 and by_operator["op_a"]["prank"] == 1
    march = selectors.period_month(2026, 3)
    assert selectors.calls_in(march).count() == 8
    assert selectors.monthly_summary(2026, 2)["prank"] == 1
    assert selectors.blocks_issued(selectors.period_day(DAY)) == {"warning": 1}


def test_monthly_summary_in_kominfo_shape(dataset):
    summary = selectors.monthly_summary(2026, 3)
    assert (summary["total"], summary["emergency"], summary["prank"], summary["ghost"], summary["information"], summary["complaint"]) == (8, 2, 2, 1, 1, 1)
    assert summary["by_agency"] == {"DAMKAR": 1, "DINKES": 1, "POLRESTA": 1}


@pytest.fixture
def sup_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


def test_daily_api_answers_the_interface_keys(dataset, supervisor, client_for):
    response = client_for(supervisor).get("/api/v1/reports/daily/", {"date": DAY.isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["calls_total"] == 7
    assert body["by_call_type"]["emergency"] == 2
    assert body["by_incident_type"] == {"kebakaran_bangunan": 1, "kecelakaan_lalu_lintas": 1}
    assert body["by_agency"]["DAMKAR"]["dispatched"] == 1
    assert body["by_agency"]["DAMKAR"]["acknowledged"] == 1
    assert body["by_agency"]["DAMKAR"]["ack_seconds"] == {"median": 30.0, "p90": 30.0}
    assert body["answer_seconds"] == {"median": 11.0, "p90": 25.0}
    assert body["answered_within_15s_pct"] == 66.7
    assert body["processing_seconds"] == {"median": 45.0, "p90": 49.0}


@pytest.mark.parametrize("role, agency, expected", [("supervisor", None, 200), ("admin", None, 200), ("operator", None, 403), ("agency", "DAMKAR", 403), ("pbx", None, 403)])
def test_daily_api_is_for_supervisors_only(ref, make_user, client_for, role, agency, expected):
    response = client_for(make_user(role, agency)).get("/api/v1/reports/daily/", {"date": DAY.isoformat()})
    assert response.status_code == expected


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", ""])
def test_daily_api_bad_date_is_400(supervisor, client_for, value):
    response = client_for(supervisor).get("/api/v1/reports/daily/", {"date": value})
    assert response.status_code == 400
    assert response.json()["detail"]


def test_daily_api_csv_lists_the_days_calls(dataset, supervisor, client_for):
    response = client_for(supervisor).get("/api/v1/reports/daily/", {"date": DAY.isoformat(), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("external_id,received_at,answered_at,caller_number,call_type")
    assert len(lines) == 1 + 7


def test_daily_log_filters_and_search(dataset, sup_client):
    def ids(**params):
        response = sup_client.get("/reports/daily/", {"date": DAY.isoformat(), **params})
        assert response.status_code == 200
        return {call.pk for call in response.context["page"]}

    assert len(ids()) == 7
    assert ids(call_type="prank") == {dataset["c2"].pk}
    assert ids(incident_type="kebakaran_bangunan") == {dataset["c1"].pk}
    assert ids(agency="POLRESTA") == {dataset["c5"].pk}
    op_b = ids(operator="op_b")
    assert len(op_b) == 3 and dataset["c5"].pk in op_b
    assert len(ids(shift="malam")) == 3
    assert ids(kecamatan="17.71.01") == {dataset["c1"].pk, dataset["c2"].pk}
    assert ids(q="terbakar") == {dataset["c1"].pk}
    assert ids(q="62822222") == {dataset["c2"].pk}
    assert len(ids(call_type="none")) == 1


def test_daily_log_is_paginated_by_50(ref, sup_client):
    for n in range(53):
        make_call(wib(DAY, 12) + timedelta(seconds=n), answer_after=1)
    first = sup_client.get("/reports/daily/", {"date": DAY.isoformat()})
    second = sup_client.get("/reports/daily/", {"date": DAY.isoformat(), "page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 3


def test_daily_log_query_count_is_bounded(dataset, sup_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        assert sup_client.get("/reports/daily/", {"date": DAY.isoformat()}).status_code == 200


def test_daily_log_defaults_to_today_in_wib_and_rejects_bad_dates(ref, sup_client):
    with time_machine.travel(NOW, tick=False):
        response = sup_client.get("/reports/daily/")
        assert response.context["day"] == date(2026, 3, 12)
        assert sup_client.get("/reports/kpi/").context["period"].day == date(2026, 3, 12)
        assert sup_client.get("/reports/daily/", {"date": "2026-02-30"}).status_code == 400
    # 18:00 UTC on the 11th is 01:00 WIB on the 12th: today is the WIB day.
    with time_machine.travel(datetime(2026, 3, 11, 18, 0, tzinfo=dt_timezone.utc), tick=False):
        assert sup_client.get("/reports/daily/").context["day"] == date(2026, 3, 12)


def test_call_timeline_shows_every_transition_with_who(dataset, sup_client):
    response = sup_client.get(f"/reports/calls/{dataset['c1'].pk}/")
    assert response.status_code == 200
    rows = response.context["transitions"]
    assert [(r["what"], r["to"]) for r in rows] == [
        ("Panggilan", "Terklasifikasi"), ("Kejadian", "Terbuka"), ("Pengiriman", "Dikirim"), ("Pengiriman", "Diterima"),
    ]  # statuses by their labels
    assert rows[-1]["by"].username == "staf_d"
    content = response.content.decode()
    assert "staf_d" in content and "DAMKAR" in content


@pytest.mark.parametrize("url", ["/reports/daily/", "/reports/kpi/", "/reports/charts/", "/reports/charts/data/", "/reports/monthly/", f"/reports/export/?start={DAY}&format=csv", f"/reports/daily/pdf/?date={DAY}"])
def test_report_pages_are_for_supervisors_only(ref, make_user, url):
    client = Client()
    client.force_login(make_user("operator"))
    assert client.get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the login page


@pytest.mark.parametrize("params", [
    {"period": "day", "date": DAY.isoformat()},
    {"period": "shift", "date": DAY.isoformat(), "shift": "malam"},
    {"period": "month", "month": "2026-03"},
    {"period": "year", "year": "2026"},
])
def test_kpi_pages_render_with_definitions(dataset, sup_client, params):
    response = sup_client.get("/reports/kpi/", params)
    assert response.status_code == 200
    content = response.content.decode()
    assert "NENA" in content and "NFPA 1225" in content
    assert "percentile_cont" in content


def test_kpi_day_page_shows_hand_computed_figures(dataset, sup_client):
    content = sup_client.get("/reports/kpi/", {"period": "day", "date": DAY.isoformat()}).content.decode()
    # Indonesian number format: decimal comma.
    assert 'data-kpi="answer-median">11,0 s' in content
    assert 'data-kpi="processing-median">45,0 s' in content
    assert 'data-kpi="answer-15">66,7 %' in content


def test_kpi_bad_parameters_are_400(ref, sup_client):
    assert sup_client.get("/reports/kpi/", {"period": "month", "month": "2026-13"}).status_code == 400
    assert sup_client.get("/reports/kpi/", {"period": "shift", "shift": "subuh"}).status_code == 400
    assert sup_client.get("/reports/kpi/", {"period": "year", "year": "20x6"}).status_code == 400


def test_chart_and_map_data(dataset, sup_client):
    data = sup_client.get("/reports/charts/data/", {"date": DAY.isoformat()}).json()
    assert data["calls_per_hour"]["series"]["emergency"][8] == 1
    assert data["calls_per_hour"]["series"]["emergency"][23] == 1
    assert data["calls_per_hour"]["series"]["complaint"][0] == 1
    assert data["ack_by_agency"]["labels"] == ["DAMKAR", "DINKES", "POLRESTA"]
    assert data["ack_by_agency"]["median"] == [30.0, None, 60.0]
    geo = sup_client.get("/reports/map/data/", {"start": DAY.isoformat(), "end": DAY.isoformat()}).json()
    assert geo["kelurahan"] == {"17.71.01.1001": {"incidents": 1, "prank": 1}}
    assert sup_client.get("/reports/map/data/", {"start": "2026-03-10", "end": "2026-03-01"}).status_code == 400
    page = sup_client.get("/reports/charts/", {"date": DAY.isoformat()}).content.decode()
    assert "<script>" not in page and "js/reports.js" in page


def test_signoff_then_update_and_classify_are_kept_as_amendments(dataset, sup_client, supervisor):
    from calls import services

    c2 = dataset["c2"]
    with time_machine.travel(NOW, tick=False):
        response = sup_client.post("/reports/daily/signoff/", {"date": DAY.isoformat(), "note": "ok"})
        assert response.status_code == 302
        signoff = DaySignoff.objects.get(day=DAY)
        assert signoff.signed_by == supervisor
        services.call_update(call_id=c2.pk, user=supervisor, notes="ternyata bukan iseng")
        services.call_classify(call_id=c2.pk, user=supervisor, call_type="information")
        # A call of an unsigned day changes silently, as before.
        services.call_update(call_id=dataset["c6"].pk, user=supervisor, notes="x")
        page = sup_client.get("/reports/daily/", {"date": DAY.isoformat()}).content.decode()
    amendments = list(Amendment.objects.order_by("pk"))
    assert [(a.action, a.object_id, a.day, a.by) for a in amendments] == [
        ("call.update", str(c2.pk), DAY, supervisor), ("call.classify", str(c2.pk), DAY, supervisor),
    ]
    assert amendments[1].detail["from"] == "prank" and amendments[1].detail["to"] == "information"
    assert "call.classify" in page and 'data-testid="signed-off"' in page


def test_amendment_is_recorded_for_the_wib_day_of_the_call(dataset, supervisor):
    """c7 arrived 00:30 WIB (17:30 UTC the day before): signing off DAY covers it, not the UTC day."""
    from calls import services

    DaySignoff.objects.create(day=DAY - timedelta(days=1), signed_by=supervisor, signed_at=NOW)
    services.call_update(call_id=dataset["c7"].pk, user=supervisor, notes="x")
    assert not Amendment.objects.exists()
    DaySignoff.objects.create(day=DAY, signed_by=supervisor, signed_at=NOW)
    services.call_update(call_id=dataset["c7"].pk, user=supervisor, notes="y")
    assert Amendment.objects.get().day == DAY


def test_a_day_is_signed_off_once_and_only_after_it_ended(ref, sup_client, supervisor):
    from dispatch.errors import Conflict

    with time_machine.travel(NOW, tick=False):
        report_services.day_signoff(day=DAY, user=supervisor)
        with pytest.raises(Conflict):
            report_services.day_signoff(day=DAY, user=supervisor)
        with pytest.raises(Conflict):
            report_services.day_signoff(day=NOW.date(), user=supervisor)
        sup_client.post("/reports/daily/signoff/", {"date": NOW.date().isoformat()})
    assert DaySignoff.objects.count() == 1


def _supervisor_with_email(make_user, username="boss"):
    boss = make_user("supervisor", username=username)
    boss.email = f"{username}@bengkulukota.go.id"
    boss.save()
    return boss


def test_daily_digest_mails_supervisors_from_the_sweep_at_0005_wib(dataset, make_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from dispatch.sweep import run_sweep

    _supervisor_with_email(make_user)
    operator = dataset["op_a"]
    operator.email = "op@bengkulukota.go.id"
    operator.save()
    with time_machine.travel(datetime(2026, 3, 11, 0, 5, tzinfo=WIB), tick=False):
        assert run_sweep()["digests_sent"] == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@bengkulukota.go.id"]
    assert "2026-03-10" in message.subject
    assert "Total panggilan: 7" in message.body
    assert "DAMKAR: 1 / 1 / 30.0" in message.body
    digest = DailyDigest.objects.get(day=DAY)
    assert (digest.status, digest.attempts, digest.recipients) == ("sent", 1, 1)


def test_daily_digest_is_due_at_0005_wib_and_goes_out_once(ref, make_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from reports.digest import digest_due_day, digest_send_due

    _supervisor_with_email(make_user)
    DailyDigest.objects.create(day=DAY - timedelta(days=1), status="sent", created_at=wib(DAY, 0, 5))
    before, at = datetime(2026, 3, 11, 0, 4, 59, tzinfo=WIB), datetime(2026, 3, 11, 0, 5, tzinfo=WIB)
    assert (digest_due_day(before), digest_due_day(at)) == (DAY - timedelta(days=1), DAY)
    with time_machine.travel(before, tick=False):
        assert digest_send_due(now=before) is False
    assert mail.outbox == []
    with time_machine.travel(at, tick=False):
        assert digest_send_due(now=at) is True
        assert digest_send_due(now=at) is False
    with time_machine.travel(at + timedelta(hours=20), tick=False):
        assert digest_send_due(now=at + timedelta(hours=20)) is False
    assert [m.subject for m in mail.outbox] == ["[112 Kota Bengkulu] Ringkasan harian 2026-03-10"]


def test_daily_digest_left_by_an_outage_goes_out_late_and_a_failed_send_is_retried(ref, make_user, settings):
    from reports.digest import digest_send_due

    _supervisor_with_email(make_user)
    late = datetime(2026, 3, 11, 9, 0, tzinfo=WIB)  # the sweep did not run from 00:05 until 09:00
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    with time_machine.travel(late, tick=False):
        assert digest_send_due(now=late) is False
    digest = DailyDigest.objects.get(day=DAY)
    assert (digest.status, digest.attempts) == ("pending", 1) and digest.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(late + timedelta(seconds=5), tick=False):
        assert digest_send_due(now=late + timedelta(seconds=5)) is False  # not before its retry time
    with time_machine.travel(late + timedelta(seconds=11), tick=False):
        assert digest_send_due(now=late + timedelta(seconds=11)) is True
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, digest.error, digest.recipients) == ("sent", 2, "", 1)
    assert len(mail.outbox) == 1


def test_daily_digest_without_recipients_is_recorded_and_not_retried(ref, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from reports.digest import digest_send_due

    at = datetime(2026, 3, 11, 0, 5, tzinfo=WIB)
    with time_machine.travel(at, tick=False):
        assert digest_send_due(now=at) is True
        assert digest_send_due(now=at) is False
    assert DailyDigest.objects.get(day=DAY).recipients == 0
    assert mail.outbox == []


def test_no_scheduled_message_carries_the_digest(settings):
    # The sweep sends it from the database, so a beat message lost while Redis was down loses nothing.
    tasks = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "dispatch.tasks.sweep" in tasks
    assert not [task for task in tasks if "digest" in task]
