"""Live fan-out: commit-to-screen latency over `/ws/live/` with many sockets, against raw Redis pub/sub.

Starts its own uvicorn (2 workers, then 1) on PostgreSQL + Redis, connects N WebSocket
clients (operators, supervisors and agency staff; `Authorization: Token` and an
`Origin` header), then posts calls through the API at R per second (every
`--dispatch-every`-th call is also classified as a fire and dispatched to an
agency, so agency sockets get traffic too).

Latency: each socket frame carries `ts`, the server's wall clock taken in the
broadcast right after COMMIT returned (`dispatch.events.broadcast`); the client
takes its own clock on receipt (same machine, same clock). So the figure is
commit -> Redis -> worker -> socket -> client parsed, per client and event.
Delivered/expected: expected per client is computed afterwards from the stored
events (floor sees all, agency staff their agency's dispatch.*).

Substrate: the same number of Python subscribers on raw Redis pub/sub (one
connection each), a publisher at the same rate and a frame of the same size;
ratio = our p50 / raw Redis p50.

    python bench/live_fanout.py [--clients 200] [--rates 20,80] [--seconds 10] [--json OUT] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import common  # noqa: E402
from live_clients import AGENCY_ACCOUNTS, connected, tokens  # noqa: E402

WARMUP_SECONDS = 2.0


async def post_load(base: str, token: str, rate: float, seconds: float, dispatch_every: int) -> int:
    """Calls at `rate` per second on a few keep-alive connections in this event loop (no client threads:
    a thread holding the GIL would delay the sockets' frames and inflate the figure)."""
    agencies = itertools.cycle(AGENCY_ACCOUNTS.values())
    free: asyncio.Queue = asyncio.Queue()
    for _ in range(16):
        free.put_nowait(common.HttpConnection(base, {"Authorization": f"Token {token}"}))

    async def post(conn, path: str, body: dict) -> dict:
        status, payload = await conn.request("POST", path, json.dumps(body).encode())
        if status >= 400:
            raise RuntimeError(f"{path} answered {status}: {payload[:200]!r}")
        return json.loads(payload)

    async def one(i: int):
        conn = await free.get()
        try:
            call = await post(conn, "/api/v1/calls/", {"caller_number": f"0813{i % 10**8:08d}", "notes": "bench",
                                                   "location": {"lat": -3.7956, "lon": 102.2659}})
            if dispatch_every and i % dispatch_every == 0:
                done = await post(conn, f"/api/v1/calls/{call['id']}/classify/",
                                  {"call_type": "emergency", "incident_type": "kebakaran_bangunan"})
                await post(conn, f"/api/v1/incidents/{done['incident']['id']}/dispatch/", {"agencies": [next(agencies)]})
        finally:
            free.put_nowait(conn)

    pending: list[asyncio.Task] = []
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < seconds:
        due = started + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(one(i + int(time.time()))))
        i += 1
    await asyncio.gather(*pending)
    while not free.empty():
        await free.get_nowait().close()
    return i


def stored_events(after: int) -> list[tuple[int, str, str]]:
    with common.pg_connect(autocommit=True) as conn:
        return conn.execute("SELECT seq, type, agency_code FROM dispatch_event WHERE seq > %s ORDER BY seq", (after,)).fetchall()


def last_seq() -> int:
    with common.pg_connect(autocommit=True) as conn:
        return conn.execute("SELECT coalesce(max(seq), 0) FROM dispatch_event").fetchone()[0]


async def websocket_round(base: str, toks: dict[str, str], n: int, rate: float, seconds: float, dispatch_every: int) -> dict:
    async with connected(base, toks, n) as clients:
        # Warm-up at the same rate, not measured: the first classification and dispatch of a fresh
        # process import and cache what later ones reuse (the ingest benchmark warms up the same way).
        await post_load(base, toks["operator"], rate, WARMUP_SECONDS, dispatch_every)
        start = await asyncio.to_thread(last_seq)
        posted = await post_load(base, toks["operator"], rate, seconds, dispatch_every)
        end = await asyncio.to_thread(last_seq)
        events = await asyncio.to_thread(stored_events, start)
        expected_by_user: dict[str, set[int]] = {}
        for name in set(c.username for c in clients):
            code = AGENCY_ACCOUNTS.get(name)
            expected_by_user[name] = {s for s, t, a in events if code is None or (t.startswith("dispatch.") and a == code)}
        # Bounded wait for the last frames in flight.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all({f[0] for f in c.frames if start < f[0] <= end} >= expected_by_user[c.username] for c in clients):
                break
            await asyncio.sleep(0.1)
    latencies, delivered, expected, wrong = [], 0, 0, 0
    for c in clients:
        want = expected_by_user[c.username]
        got = [f for f in c.frames if start < f[0] <= end]
        seqs = {f[0] for f in got}
        delivered += len(seqs & want)
        expected += len(want)
        wrong += len(seqs - want)
        latencies.extend((f[4] - f[3]) * 1000 for f in got)
    return {"posted": posted, "events": len(events), "delivered": delivered, "expected": expected, "wrong": wrong,
            "p50": common.percentile(latencies, 50), "p99": common.percentile(latencies, 99), "frame": len(json.dumps(
                {"seq": end, "type": "call.created", "data": {"id": 1, "status": "active", "caller_number": "+6281300000000",
                 "call_type": None, "incident_id": None, "operator": "operator", "received_at": "2026-01-01T00:00:00+00:00",
                 "caller_blocked": False, "version": 1}, "ts": time.time()}))}


async def redis_round(n: int, rate: float, seconds: float, frame_size: int) -> dict:
    from redis import asyncio as aioredis

    channel = f"bench-fanout-{uuid.uuid4().hex[:8]}"
    subscribers = [await common.RedisSubscriber.subscribe(channel) for _ in range(n)]
    latencies: list[float] = []
    received = 0

    async def listen(sub: common.RedisSubscriber):
        nonlocal received
        try:
            while True:
                kind, _, data = await sub.next_push()
                now = time.time()
                if kind == b"message":
                    latencies.append((now - float(json.loads(data)["ts"])) * 1000)
                    received += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    listeners = [asyncio.create_task(listen(sub)) for sub in subscribers]
    publisher = aioredis.Redis.from_url(common.redis_url())
    padding = "x" * max(0, frame_size - 40)
    started, sent = time.monotonic(), 0
    while time.monotonic() - started < seconds:
        delay = started + sent / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await publisher.publish(channel, json.dumps({"ts": time.time(), "pad": padding}))
        sent += 1
    deadline = time.monotonic() + 5
    while received < sent * n and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for sub in subscribers:
        sub.writer.close()
    await asyncio.gather(*listeners)
    await publisher.aclose()
    return {"p50": common.percentile(latencies, 50), "p99": common.percentile(latencies, 99), "delivered": received, "expected": sent * n}


def measure(workers: int, toks, args) -> list[dict]:
    """Both rates against a server with `workers` processes: `live_fanout.*` for 2, `live_fanout.Nproc.*` else."""
    proc, base = common.start_server(workers=workers, CHANNEL_PREFIX=f"bench{uuid.uuid4().hex[:6]}")
    results: list[dict] = []
    try:
        for rate in (float(r) for r in args.rates.split(",")):
            cpu_before, wall_before = common.process_tree_cpu_seconds(proc.pid), time.monotonic()
            with common.client_gc_paused():
                ws = asyncio.run(websocket_round(base, toks, args.clients, rate, args.seconds, args.dispatch_every))
            server_cores = (common.process_tree_cpu_seconds(proc.pid) - cpu_before) / (time.monotonic() - wall_before)
            with common.client_gc_paused():
                raw = asyncio.run(redis_round(args.clients, rate, args.seconds, ws["frame"]))
            label = f"live_fanout.{args.clients}c.{int(rate)}cps" if workers == 2 else f"live_fanout.{workers}proc.{args.clients}c.{int(rate)}cps"
            print(f"{label}: posted {ws['posted']} calls -> {ws['events']} events; delivered {ws['delivered']}/{ws['expected']}"
                  f" (not allowed: {ws['wrong']}); raw redis delivered {raw['delivered']}/{raw['expected']}")
            results += [
                {"name": f"{label}.p50", "value": round(ws["p50"], 2), "unit": "ms", "substrate": round(raw["p50"], 2),
                 "substrate_unit": "ms", "ratio": round(ws["p50"] / raw["p50"], 2) if raw["p50"] else 0.0},
                {"name": f"{label}.p99", "value": round(ws["p99"], 2), "unit": "ms", "substrate": round(raw["p99"], 2),
                 "substrate_unit": "ms", "ratio": round(ws["p99"] / raw["p99"], 2) if raw["p99"] else 0.0},
                {"name": f"{label}.delivered_pct", "value": 100.0 * ws["delivered"] / max(1, ws["expected"]), "unit": "%"},
                {"name": f"{label}.not_allowed_frames", "value": float(ws["wrong"]), "unit": "frames"},
                # CPU of the web processes over the round (connect, load, drain): 1.0 is one core busy.
                {"name": f"{label}.server_cpu", "value": round(server_cores, 2), "unit": "cores"},
            ]
    finally:
        common.stop(proc)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rates", default="20,80", help="calls per second, comma separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration per rate")
    parser.add_argument("--workers", default="2,1", help="web processes, comma separated (quick: the first only)")
    parser.add_argument("--dispatch-every", type=int, default=5, help="every k-th call is also classified and dispatched (0: never)")
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--quick", action="store_true", help="fewer clients, one short round")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.rates, args.seconds = min(args.clients, 50), args.rates.split(",")[0], min(args.seconds, 4)

    common.ensure_database()
    toks = tokens()
    results: list[dict] = []
    for workers in common.worker_counts(args.workers, quick=args.quick):
        results += measure(workers, toks, args)
    common.write_json(args.json_out, results)


if __name__ == "__main__":
    main()
