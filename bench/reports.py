"""Server-side rendering time of the supervisor reports on a large call history.

Creates (drops and recreates) a separate PostgreSQL database, migrates it,
loads Kota Bengkulu, generates N calls spread over the last two years with
INSERT ... SELECT generate_series (a realistic mix: < 1 % emergencies, each
with an incident and a dispatch to its primary agency), then times, through
Django's test Client including template rendering:

  - the daily log's first page (target < 50 ms)
  - the daily KPIs of one day (target < 50 ms)
  - the yearly summary (target < 1 s)

The KPIs of complete days are read from the daily roll-up (reports/rollups.py).
The bench starts without any roll-up, as a supervisor would after the calls were
loaded: the first open of the daily KPIs and of the year builds what they need
(cold, one sample each), later opens read it (warm, the median). Then it drops the
roll-up again, builds it the way production does (the periodic task, every ended
day since the first call) and times that and the year after it. Last, the warm reports
again over HTTP, against uvicorn with 2 and with 1 web processes (`reports.<N>proc.*`:
the supervisor's session cookie on one keep-alive connection, the median of the repeats).

    python bench/reports.py [--n 2000000] [--repeat 5] [--workers 2,1] [--json OUT] [--keep] [--reuse] [--quick]

Needs DATABASE_URL pointing at a PostgreSQL server (its database is left alone;
the bench database is `<that name>_bench_reports` unless --db is given).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Share of each call type (the rest, ~2 %, stays unclassified: abandoned calls).
MIX = [("emergency", 0.008), ("information", 0.20), ("complaint", 0.05), ("ghost", 0.36), ("prank", 0.36)]


def create_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(common.database_url_named("postgres", server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def has_generated_calls(server_url: str, name: str) -> bool:
    """Whether the bench database exists and already holds generated calls (for --reuse)."""
    import psycopg

    with psycopg.connect(common.database_url_named("postgres", server_url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            return False
    with psycopg.connect(common.database_url_named(name, server_url), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('calls_call')").fetchone()[0] is None:
            return False
        return conn.execute("SELECT EXISTS (SELECT 1 FROM calls_call)").fetchone()[0]


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(common.database_url_named("postgres", server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _filler(cursor, table: str, given: set[str]) -> tuple[list[str], list[str]]:
    """Neutral values for NOT NULL columns without a database default that the generator does not set."""
    cursor.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""",
        [table],
    )
    names, values = [], []
    for name, data_type in cursor.fetchall():
        if name in given:
            continue
        names.append(name)
        values.append({"boolean": "false", "jsonb": "'{}'::jsonb", "text": "''", "character varying": "''"}.get(data_type, "0"))
    return names, values


def generate(n: int, end_day: date) -> None:
    """N calls over the two years before end_day (WIB), in bulk SQL."""
    from django.db import connection

    start = end_day - timedelta(days=730)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM auth_user WHERE username LIKE 'bench_op%%' ORDER BY id")
        operators = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "INSERT INTO calls_caller (number, first_seen_at) SELECT '+62812' || lpad(g::text, 7, '0'), %s::timestamptz "
            "FROM generate_series(1, %s) g",
            [f"{start.isoformat()}T00:00:00+07:00", max(1000, n // 40)],
        )
        cursor.execute("SELECT min(id), max(id) FROM calls_caller")
        caller_lo, caller_hi = cursor.fetchone()
        cursor.execute("SELECT min(id), max(id) FROM agencies_kelurahan")
        kel_lo, kel_hi = cursor.fetchone()
        # Cumulative thresholds of the type mix.
        case, acc = [], 0.0
        for call_type, share in MIX:
            acc += share
            case.append(f"WHEN r.t < {acc} THEN '{call_type}'")
        type_sql = "CASE " + " ".join(case) + " ELSE '' END"
        given = {
            "caller_id", "caller_number_raw", "received_at", "answered_at", "classified_at", "call_type", "status",
            "operator_id", "kelurahan_id", "notes", "channel", "version",
        }
        extra_names, extra_values = _filler(cursor, "calls_call", given | {"id"})
        cols = ", ".join([*given, *extra_names])
        ops = "ARRAY[" + ",".join(str(o) for o in operators) + "]::int[]"
        cursor.execute(
            f"""
            INSERT INTO calls_call ({cols})
            SELECT {", ".join(f"x.{c}" for c in given)} {"".join(", " + v for v in extra_values)}
            FROM (
              SELECT
                ({caller_lo} + floor(r.c * ({caller_hi} - {caller_lo} + 1)))::int AS caller_id,
                '' AS caller_number_raw,
                r.at AS received_at,
                CASE WHEN r.ty = '' THEN NULL ELSE r.at + make_interval(secs => 2 + r.a * 25) END AS answered_at,
                CASE WHEN r.ty = '' THEN NULL ELSE r.at + make_interval(secs => 40 + r.a * 60) END AS classified_at,
                r.ty AS call_type,
                CASE WHEN r.ty = '' THEN 'abandoned' ELSE 'classified' END AS status,
                CASE WHEN r.ty = '' THEN NULL ELSE ({ops})[1 + (r.g %% {len(operators)})] END AS operator_id,
                ({kel_lo} + floor(r.k * ({kel_hi} - {kel_lo} + 1)))::int AS kelurahan_id,
                CASE WHEN r.ty = 'emergency' THEN 'kebakaran rumah warga' WHEN r.ty = 'prank' THEN 'iseng' ELSE '' END AS notes,
                'voice' AS channel,
                1 AS version
              FROM (
                SELECT g, s.t, s.at, random() AS a, random() AS c, random() AS k, {type_sql.replace("r.t", "s.t")} AS ty
                FROM generate_series(1, %(n)s) g
                CROSS JOIN LATERAL (
                  SELECT random() AS t,
                         %(start)s::timestamptz + (g::float8 / %(n)s) * interval '730 days' + random() * interval '10 minutes' AS at
                ) s
              ) r
            ) x
            """,
            {"n": n, "start": f"{start.isoformat()}T00:00:00+07:00"},
        )
        # One incident per emergency call, sharing the call's id; one dispatch to the primary agency.
        inc_given = {"id", "incident_type_id", "priority", "status", "created_at", "closed_at", "kelurahan_id", "version", "address", "summary"}
        inc_extra, inc_values = _filler(cursor, "dispatch_incident", inc_given)
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM agencies_incidenttype")
        types = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO dispatch_incident ({", ".join([*inc_given, *inc_extra])})
            SELECT {", ".join(f"x.{c}" for c in inc_given)} {"".join(", " + v for v in inc_values)} FROM (
              SELECT c.id, t.id AS incident_type_id, t.priority, 'closed' AS status, c.classified_at AS created_at,
                     c.classified_at + interval '2 hours' AS closed_at, c.kelurahan_id, 1 AS version, '' AS address, '' AS summary
              FROM calls_call c
              JOIN agencies_incidenttype t ON t.id = (%s::int[])[1 + (c.id %% %s)]
              WHERE c.call_type = 'emergency'
            ) x
            """,
            [types, len(types)],
        )
        cursor.execute("UPDATE calls_call SET incident_id = id WHERE call_type = 'emergency'")
        cursor.execute("SELECT setval(pg_get_serial_sequence('dispatch_incident', 'id'), (SELECT max(id) FROM calls_call))")
        dis_given = {
            "incident_id", "agency_id", "status", "is_primary", "dispatched_at", "ack_deadline", "acknowledged_at",
            "on_scene_at", "resolved_at", "escalation_level", "reason", "note", "version",
        }
        dis_extra, dis_values = _filler(cursor, "dispatch_dispatch", dis_given | {"id"})
        cursor.execute(
            f"""
            INSERT INTO dispatch_dispatch ({", ".join([*dis_given, *dis_extra])})
            SELECT {", ".join(f"x.{c}" for c in dis_given)} {"".join(", " + v for v in dis_values)} FROM (
              SELECT i.id AS incident_id, rr.primary_agency_id AS agency_id, 'resolved' AS status, true AS is_primary,
                     i.created_at + make_interval(secs => 10 + random() * 50) AS dispatched_at,
                     i.created_at + interval '3 minutes' AS ack_deadline,
                     i.created_at + make_interval(secs => 70 + random() * 200) AS acknowledged_at,
                     i.created_at + make_interval(secs => 600 + random() * 900) AS on_scene_at,
                     i.created_at + interval '100 minutes' AS resolved_at,
                     CASE WHEN random() < 0.05 THEN 1 ELSE 0 END AS escalation_level, '' AS reason, '' AS note, 1 AS version
              FROM dispatch_incident i JOIN agencies_routingrule rr ON rr.incident_type_id = i.incident_type_id
            ) x
            """
        )
        cursor.execute("ANALYZE")


def timed(client, url: str, repeat: int) -> float:
    """Median milliseconds of `repeat` GETs after one warm-up."""
    assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return statistics.median(samples)


def first_open(client, url: str) -> float:
    """Milliseconds of one GET (the first one: nothing warmed up)."""
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, url
    return (time.perf_counter() - started) * 1000


def timed_over_http(workers: int, cookie: str, urls: dict[str, str], repeat: int) -> dict[str, float]:
    """Median milliseconds of `repeat` GETs of each URL after one warm-up, against `workers` web processes."""
    import asyncio

    proc, base = common.start_server(workers=workers)

    async def run() -> dict[str, float]:
        medians = {}
        async with common.LeanApiClient(base, {"Cookie": cookie}) as client:
            for label, url in urls.items():
                samples = []
                for attempt in range(repeat + 1):
                    started = time.perf_counter()
                    response = await client.get(url)
                    if attempt:
                        samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                medians[label] = statistics.median(samples)
        return medians

    try:
        return asyncio.run(run())
    finally:
        common.stop(proc)


def drop_rollups() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE dispatch_reportday, dispatch_reportdaycalls, dispatch_reportdayanswertime")


def main(argv=None) -> int:
    common.use_bench_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2_000_000, help="calls to generate")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default="", help="bench database name")
    parser.add_argument("--json", dest="json_out", default="", help="write [{name, value, unit}] here")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--reuse", action="store_true",
        help="reuse the bench database when it already holds generated calls (migrated, not regenerated); implies --keep",
    )
    parser.add_argument("--workers", default="2,1", help="web processes for the HTTP figures, comma separated (quick: the first only)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20,000 calls, 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeat = min(args.n, 20_000), min(args.repeat, 3)

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dispatch")
    if not server_url.startswith("postgres"):
        parser.error("DATABASE_URL must point at PostgreSQL")
    name = args.db or (urlparse(server_url).path.lstrip("/") or "dispatch") + "_bench_reports"
    reuse = args.reuse and has_generated_calls(server_url, name)
    args.keep = args.keep or args.reuse
    if not reuse:
        create_database(server_url, name)
    os.environ["DATABASE_URL"] = common.database_url_named(name, server_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from agencies.loader import load_bengkulu
    from calls.models import Call
    from dispatch.shifts import wib_today
    from tests.factories import user_with_role

    results = []
    try:
        call_command("migrate", verbosity=0)
        end_day = wib_today()
        if reuse:
            from django.contrib.auth import get_user_model

            supervisor = get_user_model().objects.get(username="bench_supervisor")
            n_calls = Call.objects.count()
            print(f"reusing {name}: {n_calls} calls")
            results.append({"name": "reports.calls_generated", "value": n_calls, "unit": "calls"})
        else:
            load_bengkulu()
            for i in range(12):
                user_with_role("operator", username=f"bench_op{i:02d}")
            supervisor = user_with_role("supervisor", username="bench_supervisor")
            started = time.perf_counter()
            generate(args.n, end_day)
            results.append({"name": "reports.generate_calls", "value": round(time.perf_counter() - started, 2), "unit": "s"})
            results.append({"name": "reports.calls_generated", "value": args.n, "unit": "calls"})

        setup_test_environment()
        client = Client()
        client.force_login(supervisor)
        day = (end_day - timedelta(days=40)).isoformat()
        year = (end_day - timedelta(days=365)).year
        daily_log = f"/reports/daily/?date={day}"
        daily_kpis = f"/reports/kpi/?period=day&date={day}"
        yearly = f"/reports/kpi/?period=year&year={year}"

        def report(label: str, value: float, unit: str = "ms", target: str = "") -> None:
            results.append({"name": label, "value": round(value, 1 if unit == "ms" else 2), "unit": unit})
            print(f"{label:40s} {value:9.1f} {unit:2s}  {target}")

        drop_rollups()
        # Session, templates and code paths, before anything is timed: today's KPIs are read live (nothing to roll up).
        assert client.get(f"/reports/kpi/?period=day&date={end_day.isoformat()}").status_code == 200
        report("reports.daily_log_first_page", timed(client, daily_log, args.repeat), target="(target < 50 ms)")
        report("reports.daily_kpis_cold", first_open(client, daily_kpis), target="(first open: rolls the day up)")
        report("reports.daily_kpis", timed(client, daily_kpis, args.repeat), target="(target < 50 ms)")
        report("reports.daily_api", timed(client, f"/api/v1/reports/daily/?date={day}", args.repeat), target="(target < 50 ms)")
        report("reports.yearly_summary_cold", first_open(client, yearly), target="(first open: rolls the year up)")
        report("reports.yearly_summary", timed(client, yearly, args.repeat), target="(target < 1000 ms)")

        from reports.tasks import report_rollups

        drop_rollups()
        started = time.perf_counter()
        days = report_rollups.apply().get()
        report("reports.rollup_task_build", time.perf_counter() - started, "s", f"(the periodic task: {days} ended days)")
        report("reports.yearly_summary_after_task", first_open(client, yearly), target="(first open after the task)")
        report("reports.yearly_summary_after_task_warm", timed(client, yearly, args.repeat), target="(target < 1000 ms)")

        from django.conf import settings

        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        urls = {"daily_log_first_page": daily_log, "daily_kpis": daily_kpis, "daily_api": f"/api/v1/reports/daily/?date={day}",
                "yearly_summary": yearly}
        for workers in common.worker_counts(args.workers, quick=args.quick):
            for label, value in timed_over_http(workers, cookie, urls, args.repeat).items():
                report(f"reports.{workers}proc.{label}", value, target=f"(HTTP, {workers} web process(es))")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(server_url, name)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
