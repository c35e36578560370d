"""Ringing event -> every operator's screen: how long from the PBX's POST until each
connected operator's socket has the `call.created` event.

Starts its own uvicorn (2 workers, then 1) on DATABASE_URL (PostgreSQL) and REDIS_URL,
migrates that database, creates `bench_op_N` operators and a `bench_pbx` account with
tokens, connects the operators over WebSocket (Token header + Origin), then sends ringing
events one after another and measures the delivery to every socket.

The substrate, measured in the same run, is what a ringing call needs before any Django,
HTTP or WebSocket work: one raw INSERT+COMMIT with psycopg, then one raw Redis PUBLISH to as
many raw subscribers as there are operators (`common.RedisSubscriber`), timed from the INSERT
to each subscriber's arrival, one ring at a time. Figures are named `ringing.<N>proc.*`.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/ringing.py [--operators 50] [--rings 30]
        [--workers 2,1] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def prepare_accounts(n: int) -> tuple[list[str], str]:
    """Operator tokens and the PBX token, created in the benchmark database (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from dispatch.tokens import token_create

    from agencies.models import Membership

    User = get_user_model()

    def account(username: str, role: str) -> str:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        Membership.objects.update_or_create(user=user, defaults={"role": role, "agency": None})
        return token_create(user=user).key

    return [account(f"bench_op_{i}", "operator") for i in range(n)], account("bench_pbx", "pbx")


async def operator_socket(base: str, token: str, inbox: asyncio.Queue, ready: asyncio.Event, connected: list) -> None:
    def hello(_message: dict) -> None:
        connected.append(1)
        ready.set()

    def frame(message: dict, _now: float) -> None:
        if message.get("type") == "call.created":
            inbox.put_nowait((time.perf_counter(), message["data"]["id"]))

    await common.live_socket(base, token, on_hello=hello, on_frame=frame)


WARMUP_RINGS = 3


async def run(base: str, tokens: list[str], pbx_token: str, rings: int) -> dict:
    inboxes = [asyncio.Queue() for _ in tokens]
    connected: list = []
    tasks = []
    for token, inbox in zip(tokens, inboxes):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(operator_socket(base, token, inbox, ready, connected)))
        await asyncio.wait_for(ready.wait(), timeout=30)
    deliveries: list[float] = []
    posts: list[float] = []
    async with common.LeanApiClient(base, {"Authorization": "Token " + pbx_token}) as client:
        # The first rings of a fresh server import and cache what later ones reuse: not timed (as the
        # other benchmarks warm up). Measured, the first ring reached the last screen 2-3x later.
        for i in range(-WARMUP_RINGS, rings):
            body = {"event": "ringing", "pbx_call_id": f"bench-{uuid.uuid4().hex}", "caller_number": f"0812{7000000 + i:07d}",
                    "at": datetime.now(UTC).isoformat()}
            started = time.perf_counter()
            response = await client.post("/api/v1/telephony/events/", json=body)
            if i >= 0:
                posts.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                raise SystemExit(f"ringing event failed: {response.status_code} {response.body[:200]!r}")
            call_id = response.json()["id"]
            for inbox in inboxes:
                while True:
                    received, got = await asyncio.wait_for(inbox.get(), timeout=30)
                    if got == call_id:
                        if i >= 0:
                            deliveries.append((received - started) * 1000)
                        break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"deliveries": deliveries, "posts": posts, "connected": len(connected)}


SUBSTRATE_UNIT = "ms raw INSERT+COMMIT, then PUBLISH to a subscriber"


async def raw_ring(n: int, messages: int) -> list[float]:
    """The substrate: `messages` rings one after another, each an INSERT+COMMIT and a PUBLISH awaited
    at all `n` raw subscribers."""
    import psycopg
    from redis import asyncio as aioredis

    channel = f"bench-ringing-{uuid.uuid4().hex[:8]}"
    subscribers = [await common.RedisSubscriber.subscribe(channel) for _ in range(n)]
    publisher = aioredis.Redis.from_url(common.redis_url())
    db = await psycopg.AsyncConnection.connect(common.database_url())
    await db.execute("CREATE TEMPORARY TABLE bench_raw_ring (id bigserial PRIMARY KEY, pbx_call_id text, caller_number text,"
                     " received_at timestamptz)")
    await db.commit()
    deliveries: list[float] = []

    async def arrival(sub: common.RedisSubscriber) -> float:
        while True:
            kind, _, _data = await sub.next_push()
            if kind == b"message":
                return time.perf_counter()

    try:
        for i in range(messages):
            waiting = [asyncio.create_task(arrival(sub)) for sub in subscribers]
            started = time.perf_counter()
            await db.execute("INSERT INTO bench_raw_ring (pbx_call_id, caller_number, received_at) VALUES (%s, %s, now())",
                             (f"bench-{uuid.uuid4().hex}", f"0812{7000000 + i:07d}"))
            await db.commit()
            await publisher.publish(channel, json.dumps({"ring": i, "pad": "x" * 400}))
            deliveries += [(at - started) * 1000 for at in await asyncio.wait_for(asyncio.gather(*waiting), 30)]
    finally:
        for sub in subscribers:
            sub.writer.close()
        await publisher.aclose()
        await db.close()
    return deliveries


def measure(workers: int, tokens: list[str], pbx_token: str, rings: int) -> list[dict]:
    proc, base = common.start_server(workers=workers, CHANNEL_PREFIX=f"bench{uuid.uuid4().hex[:6]}")
    try:
        with common.client_gc_paused():
            result = asyncio.run(run(base, tokens, pbx_token, rings))
    finally:
        common.stop(proc)
    with common.client_gc_paused():
        raw = asyncio.run(raw_ring(len(tokens), rings))
    d, p = result["deliveries"], result["posts"]
    label = f"ringing.{workers}proc"
    raw_p50, raw_p99 = percentile(raw, 0.50), percentile(raw, 0.99)
    p50, p99 = percentile(d, 0.50), percentile(d, 0.99)
    return [
        {"name": f"{label}.to_every_screen_p50", "value": round(p50, 2), "unit": "ms", "substrate": round(raw_p50, 2),
         "substrate_unit": SUBSTRATE_UNIT, "ratio": round(p50 / raw_p50, 2) if raw_p50 else 0.0},
        {"name": f"{label}.to_every_screen_p99", "value": round(p99, 2), "unit": "ms", "substrate": round(raw_p99, 2),
         "substrate_unit": SUBSTRATE_UNIT, "ratio": round(p99 / raw_p99, 2) if raw_p99 else 0.0},
        {"name": f"{label}.to_every_screen_max", "value": round(max(d), 2), "unit": "ms"},
        {"name": f"{label}.post_p50", "value": round(statistics.median(p), 2), "unit": "ms"},
        {"name": f"{label}.operators_connected", "value": result["connected"], "unit": "sockets"},
        {"name": f"{label}.deliveries", "value": len(d), "unit": "messages"},
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.use_bench_env()
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--rings", type=int, default=30)
    parser.add_argument("--workers", default="2,1", help="web processes, comma separated (quick: the first only)")
    parser.add_argument("--json", type=Path, help="write [{name, value, unit}] here")
    parser.add_argument("--quick", action="store_true", help="10 operators, 10 rings, 2 processes only")
    args = parser.parse_args(argv)
    if args.quick:
        args.operators, args.rings = min(args.operators, 10), min(args.rings, 10)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("bench/ringing.py needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    tokens, pbx_token = prepare_accounts(args.operators)
    rows: list[dict] = []
    for workers in common.worker_counts(args.workers, quick=args.quick):
        rows += measure(workers, tokens, pbx_token, args.rings)
    for row in rows:
        substrate = f"  (raw {row['substrate']} ms, ratio {row['ratio']})" if "substrate" in row else ""
        print(f"{row['name']:<36} {row['value']:>10} {row['unit']}{substrate}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
