"""Call intake throughput: POST /api/v1/calls/ against uvicorn on PostgreSQL, 1 and 2 worker processes.

The substrate, measured in the same run, is the raw rate of single-connection
INSERT+COMMIT with psycopg into a table shaped like calls_call: what the
database and its fsync allow before any Django, HTTP or event work.
Also records the peak number of database connections during the load.

    python bench/ingest.py [--json OUT] [--quick] [--duration S] [--concurrency N] [--workers 1,2] [--pool-max N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NOTES = [
    "Kebakaran rumah di Jl. Suprapto, asap tebal",
    "Tanya nomor PLN untuk listrik padam",
    "Kecelakaan motor di simpang lima, satu korban",
    "Panggilan kosong, tidak ada suara",
    "Pohon tumbang menutup jalan di Sawah Lebar",
]


def substrate_insert_rate(seconds: float) -> float:
    """Single connection, one INSERT and one COMMIT per row, as fast as it goes."""
    with common.pg_connect() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_call (id bigserial PRIMARY KEY, caller_number varchar(32), notes text,"
            " status varchar(16), received_at timestamptz, idempotency_key varchar(128) UNIQUE, version integer)"
        )
        conn.execute("TRUNCATE bench_raw_call")
        conn.commit()
        n = 0
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            conn.execute(
                "INSERT INTO bench_raw_call (caller_number, notes, status, received_at, idempotency_key, version)"
                " VALUES (%s, %s, 'active', now(), %s, 1)",
                (f"+62812{random.randrange(10**7):07d}", random.choice(NOTES), uuid.uuid4().hex),
            )
            conn.commit()
            n += 1
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_raw_call")
        conn.commit()
    return n / elapsed


class ConnectionSampler(threading.Thread):
    """Samples pg_stat_activity while the load runs; keeps the peak."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, common.connection_count())
            except Exception:  # noqa: BLE001
                pass
            self.done.wait(0.5)


async def load(base: str, token: str, *, seconds: float, concurrency: int, warmup: int = 64,
               repeat_share: float = 0.3) -> dict:
    """`concurrency` keep-alive connections posting calls back to back.

    `repeat_share` of the calls come from a small set of numbers that call again
    and again (pranksters, frequent callers), so the caller history has rows to read.
    """
    import json as jsonlib

    headers = {"Authorization": f"Token {token}"}
    repeaters = [f"0812{random.randrange(10**8):08d}" for _ in range(200)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    created = 0

    async def post_one(conn: common.HttpConnection, record: bool) -> None:
        nonlocal created
        number = random.choice(repeaters) if random.random() < repeat_share else f"0812{random.randrange(10**8):08d}"
        body = jsonlib.dumps({"caller_number": number, "notes": random.choice(NOTES)}).encode()
        t0 = time.perf_counter()
        try:
            code, _ = await conn.request("POST", "/api/v1/calls/", body, {"Idempotency-Key": uuid.uuid4().hex})
        except (OSError, asyncio.IncompleteReadError, ValueError):
            code = 0
        if record:
            latencies.append(time.perf_counter() - t0)
            statuses[code] = statuses.get(code, 0) + 1
            created += code == 201

    connections = [common.HttpConnection(base, headers) for _ in range(concurrency)]

    async def warm(conn: common.HttpConnection):
        for _ in range(max(1, warmup // concurrency)):
            await post_one(conn, False)

    await asyncio.gather(*(warm(conn) for conn in connections))
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()

    async def worker(conn: common.HttpConnection):
        while time.perf_counter() < deadline:
            await post_one(conn, True)

    await asyncio.gather(*(worker(conn) for conn in connections))
    elapsed = time.perf_counter() - start
    for conn in connections:
        await conn.close()
    return {
        "rate": created / elapsed,
        "p50_ms": common.percentile(latencies, 50) * 1000,
        "p99_ms": common.percentile(latencies, 99) * 1000,
        "statuses": statuses,
        "created": created,
        "requests": len(latencies) + len(connections) * max(1, warmup // concurrency),
    }


# A 2-process figure counts only if no process did more than this share of the web work.
UNEVEN_SHARE, UNEVEN_ATTEMPTS = 0.75, 3


def measure(workers: int, pool_env: dict, seconds: float, concurrency: int):
    """One server with `workers` processes under the load: the outcome, peak connections, CPU per
    call of the web processes and of PostgreSQL, and the busiest process's share of the web CPU."""
    proc, base = common.start_server(workers=workers, **pool_env)
    try:
        token = common.token(base)
        sampler = ConnectionSampler()
        sampler.start()
        cpu_before = common.process_tree_cpu_seconds(proc.pid)
        db_cpu_before = common.command_cpu_seconds("postgres")
        workers_before = common.children_cpu_seconds(proc.pid)
        outcome = asyncio.run(load(base, token, seconds=seconds, concurrency=concurrency))
        # How evenly the processes shared the load (1/workers when even; 1.0 when one served it all).
        worker_cpu = [cpu - workers_before.get(pid, 0.0) for pid, cpu in common.children_cpu_seconds(proc.pid).items()]
        busiest_share = max(worker_cpu) / sum(worker_cpu) if workers > 1 and sum(worker_cpu) > 0 else 1.0
        # Web-process CPU per call (warm-up included in both counts): what one call costs the server.
        cpu_ms = (common.process_tree_cpu_seconds(proc.pid) - cpu_before) * 1000 / max(1, outcome["requests"])
        # The same for PostgreSQL (its pooled backends live through the load; the sampler's own
        # once-a-half-second query is a rounding error).
        db_cpu_ms = (common.command_cpu_seconds("postgres") - db_cpu_before) * 1000 / max(1, outcome["requests"])
        sampler.done.set()
        sampler.join()
    finally:
        common.stop(proc)
    return outcome, sampler.peak, cpu_ms, db_cpu_ms, busiest_share


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--duration", type=float)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--no-pool", action="store_true", help="persistent connections instead of the psycopg pool")
    parser.add_argument("--pool-max", type=int, default=8, help="DB_POOL_MAX_SIZE of each web process")
    args = parser.parse_args(argv)
    seconds = args.duration or (3.0 if args.quick else 15.0)

    common.ensure_database()
    raw = substrate_insert_rate(min(seconds, 5.0))
    print(f"substrate: {raw:.0f} INSERT+COMMIT/s on one connection")
    results = []
    pool_env = {} if args.no_pool else {"DB_POOL": "1", "DB_POOL_MIN_SIZE": "2", "DB_POOL_MAX_SIZE": str(args.pool_max)}
    for workers in common.worker_counts(args.workers):
        attempts = 1 if args.quick else UNEVEN_ATTEMPTS  # the quick run is a smoke test, under 2 minutes in all
        for attempt in range(1, attempts + 1):
            outcome, peak, cpu_ms, db_cpu_ms, busiest_share = measure(workers, pool_env, seconds, args.concurrency)
            print(f"{workers} worker(s): {outcome['rate']:.0f} calls/s, p50 {outcome['p50_ms']:.1f} ms, "
                  f"p99 {outcome['p99_ms']:.1f} ms, statuses {outcome['statuses']}, peak db connections {peak}, "
                  f"server CPU {cpu_ms:.2f} ms/call, PostgreSQL CPU {db_cpu_ms:.2f} ms/call, busiest process's share {busiest_share:.2f}")
            if workers == 1 or busiest_share <= UNEVEN_SHARE:
                break
            # The workers accept from one shared socket: when the 32 connections arrive at once, one
            # process can take them all and the figure is a 1-process figure. Measured again.
            print(f"  uneven: one process did {busiest_share:.0%} of the work (attempt {attempt} of {attempts})")
        suffix = f"{workers}proc"
        results += [
            {"name": f"ingest.calls_per_s.{suffix}", "value": round(outcome["rate"], 1), "unit": "calls/s",
             "substrate": round(raw, 1), "substrate_unit": "INSERT+COMMIT/s (1 connection)", "ratio": round(outcome["rate"] / raw, 3)},
            {"name": f"ingest.latency_p50.{suffix}", "value": round(outcome["p50_ms"], 1), "unit": "ms"},
            {"name": f"ingest.latency_p99.{suffix}", "value": round(outcome["p99_ms"], 1), "unit": "ms"},
            {"name": f"ingest.errors.{suffix}", "value": sum(v for k, v in outcome["statuses"].items() if k != 201), "unit": "requests"},
            {"name": f"ingest.db_connections_peak.{suffix}", "value": peak, "unit": "connections"},
            {"name": f"ingest.server_cpu_per_call.{suffix}", "value": round(cpu_ms, 2), "unit": "ms"},
            {"name": f"ingest.db_cpu_per_call.{suffix}", "value": round(db_cpu_ms, 2), "unit": "ms"},
        ]
        if workers > 1:
            results.append({"name": f"ingest.busiest_process_share.{suffix}", "value": round(busiest_share, 2),
                            "unit": f"of the web CPU (even: {1 / workers:.2f})"})
    common.write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
