"""Dispatch latency on PostgreSQL.

1. The operator's dispatch action: POST /api/v1/incidents/{id}/dispatch/ to two agencies,
   measured from the request to the answer (the dispatches are committed before the answer),
   through Django's test client in this process (no HTTP server, no network: the figure is
   the application + PostgreSQL cost, without uvicorn and the browser); then the same action
   over HTTP against uvicorn with 2 and with 1 web processes (`dispatch_action.<N>proc.*`),
   one request at a time on a keep-alive connection, Token auth.
2. Escalation lateness: dispatches whose acknowledgement deadlines fall over the next few
   seconds, a sweep loop at SWEEP_SECONDS (as beat runs it), and escalated_at - ack_deadline
   per dispatch. Expected bound: one sweep period plus the sweep's own duration.

Runs on a scratch database `bench_<name of DATABASE_URL's database>` (created and migrated
when missing, kept afterwards). Needs DATABASE_URL (PostgreSQL); REDIS_URL optional.

    DATABASE_URL=postgres://... python bench/dispatch_latency.py [--incidents 200] [--dispatches 100]
        [--spread 10] [--period SECONDS] [--workers 2,1] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def setup_database():
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point at PostgreSQL")
    setup_test_environment()
    # Its own scratch database, never the test suite's `test_<name>`.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = "bench_" + connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    from agencies.loader import load_bengkulu
    from agencies.models import RoutingRule

    if not RoutingRule.objects.exists():
        load_bengkulu()


def user(role: str, username: str, agency: str | None = None):
    from agencies.services import user_upsert

    return user_upsert(username=username, role=role, password="bench-password-112-x", agency_code=agency, validate=False)


def open_incidents(n: int, operator) -> list[int]:
    from calls import services as calls

    ids = []
    for i in range(n):
        call, _ = calls.call_create(
            operator=operator, caller_number=f"0812{i:08d}", notes="bench: kebakaran ruko",
            location=calls.Location(lat=-3.84067 + i * 1e-5, lon=102.32073),
        )
        ids.append(calls.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident_id)
    return ids


def bench_dispatch(n: int) -> dict[str, float]:
    from django.test import Client

    operator = user("operator", "bench_operator")
    client = Client()
    client.force_login(operator)
    # The first actions import and cache what later ones reuse (as the HTTP figures' warm-up).
    warm = open_incidents(min(10, n), operator)
    ids = open_incidents(n, operator)
    durations = []
    for index, incident_id in enumerate(warm + ids):
        started = time.perf_counter()
        response = client.post(
            f"/api/v1/incidents/{incident_id}/dispatch/", {"agencies": ["DAMKAR", "POLRESTA"]}, content_type="application/json"
        )
        if index >= len(warm):
            durations.append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            sys.exit(f"dispatch failed: {response.status_code} {response.content[:200]!r}")
    return {"p50": percentile(durations, 0.5), "p99": percentile(durations, 0.99), "n": len(durations)}


def bench_dispatch_http(n: int, workers: int) -> dict[str, float]:
    """The dispatch action over HTTP: `n` incidents, one request at a time, against `workers` processes."""
    import asyncio

    from django.db import connection
    from dispatch.tokens import token_create

    operator = user("operator", "bench_operator")
    token = token_create(user=operator).key
    ids = open_incidents(n, operator)
    scratch = common.database_url_named(connection.settings_dict["NAME"])
    proc, base = common.start_server(workers=workers, DATABASE_URL=scratch)
    try:
        # The first requests of a fresh process import and cache what later ones reuse.
        warm = open_incidents(min(10, n), operator)
        asyncio.run(timed_dispatches(base, token, warm))
        durations = asyncio.run(timed_dispatches(base, token, ids))
    finally:
        common.stop(proc)
    return {"p50": percentile(durations, 0.5), "p99": percentile(durations, 0.99), "n": len(durations)}


async def timed_dispatches(base: str, token: str, ids: list[int]) -> list[float]:
    """Dispatch each incident to two agencies over HTTP, one request at a time; each request's milliseconds."""
    durations = []
    async with common.LeanApiClient(base, {"Authorization": f"Token {token}"}) as client:
        for incident_id in ids:
            started = time.perf_counter()
            response = await client.post(f"/api/v1/incidents/{incident_id}/dispatch/", json={"agencies": ["DAMKAR", "POLRESTA"]})
            durations.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                sys.exit(f"dispatch over HTTP failed: {response.status_code} {response.body[:200]!r}")
    return durations


def bench_escalation(n: int, spread: float, period: float) -> dict[str, float]:
    from django.utils import timezone

    from dispatch.models import Dispatch
    from dispatch.services import incident_dispatch
    from dispatch.sweep import run_sweep

    operator = user("operator", "bench_operator")
    ids = open_incidents(n, operator)
    # Anything left unacknowledged by earlier runs must not count.
    Dispatch.objects.filter(status="dispatched").update(status="cancelled", cancelled_at=timezone.now(), reason="bench reset")
    created = []
    for incident_id in ids:
        created += [d.pk for d in incident_dispatch(incident_id=incident_id, user=operator, agency_codes=["PDAM"])]
    base = timezone.now() + timedelta(seconds=1)
    for i, pk in enumerate(created):
        Dispatch.objects.filter(pk=pk).update(ack_deadline=base + timedelta(seconds=spread * i / max(1, len(created) - 1)))
    deadline = time.monotonic() + spread + 10 * period + 30
    sweep_seconds = []
    while time.monotonic() < deadline:
        started = time.monotonic()
        run_sweep()
        sweep_seconds.append(time.monotonic() - started)
        if not Dispatch.objects.filter(pk__in=created, escalation_level=0).exists():
            break
        time.sleep(max(0.0, period - (time.monotonic() - started)))
    rows = Dispatch.objects.filter(pk__in=created).values_list("escalated_at", "ack_deadline")
    lateness = [(e - d).total_seconds() * 1000 for e, d in rows if e is not None]
    missed = len(created) - len(lateness)
    # Leave nothing for the next run's sweep.
    Dispatch.objects.filter(pk__in=created, status="dispatched").update(status="cancelled", cancelled_at=timezone.now(), reason="bench done")
    return {
        "p50": percentile(lateness, 0.5), "p99": percentile(lateness, 0.99), "max": max(lateness, default=float("nan")),
        "missed": missed, "sweep_p50": percentile(sweep_seconds, 0.5) * 1000, "n": len(created),
    }


def main() -> None:
    common.use_bench_env()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200, help="dispatch actions to time")
    parser.add_argument("--dispatches", type=int, default=100, help="dispatches whose escalation is timed")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which their deadlines fall")
    parser.add_argument("--period", type=float, default=None, help="sweep period in seconds (default SWEEP_SECONDS)")
    parser.add_argument("--workers", default="2,1", help="web processes for the HTTP figures, comma separated (quick: the first only)")
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--quick", action="store_true", help="60 actions and 30 dispatches over 5 s (same sweep period)")
    args = parser.parse_args()
    if args.quick:
        args.incidents, args.dispatches, args.spread = min(args.incidents, 60), min(args.dispatches, 30), min(args.spread, 5.0)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL server")
    setup_database()
    from django.conf import settings

    period = args.period if args.period is not None else float(settings.SWEEP_SECONDS)
    d = bench_dispatch(args.incidents)
    over_http = {workers: bench_dispatch_http(args.incidents, workers) for workers in common.worker_counts(args.workers, quick=args.quick)}
    e = bench_escalation(args.dispatches, args.spread, period)
    results = [
        {"name": "dispatch_action_p50", "value": round(d["p50"], 2), "unit": "ms"},
        {"name": "dispatch_action_p99", "value": round(d["p99"], 2), "unit": "ms"},
        *(row for workers, h in over_http.items() for row in (
            {"name": f"dispatch_action.{workers}proc.p50", "value": round(h["p50"], 2), "unit": "ms"},
            {"name": f"dispatch_action.{workers}proc.p99", "value": round(h["p99"], 2), "unit": "ms"},
        )),
        {"name": "escalation_lateness_p50", "value": round(e["p50"], 1), "unit": "ms", "substrate": period * 1000, "substrate_unit": "ms sweep period", "ratio": round(e["p50"] / (period * 1000), 3)},
        {"name": "escalation_lateness_p99", "value": round(e["p99"], 1), "unit": "ms", "substrate": period * 1000, "substrate_unit": "ms sweep period", "ratio": round(e["p99"] / (period * 1000), 3)},
        {"name": "escalation_missed", "value": e["missed"], "unit": "dispatches"},
        {"name": "sweep_duration_p50", "value": round(e["sweep_p50"], 1), "unit": "ms"},
    ]
    print(f"dispatch action (test client, PostgreSQL, 2 agencies): n={d['n']} p50={d['p50']:.1f} ms p99={d['p99']:.1f} ms")
    for workers, h in over_http.items():
        print(f"dispatch action (HTTP, uvicorn, {workers} process(es)): n={h['n']} p50={h['p50']:.1f} ms p99={h['p99']:.1f} ms")
    print(f"escalation lateness (sweep every {period:g} s): n={e['n']} p50={e['p50']:.0f} ms p99={e['p99']:.0f} ms max={e['max']:.0f} ms missed={e['missed']}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
