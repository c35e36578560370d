"""Ringing event -> every operator's screen: how long from the PBX's POST until each
connected operator's socket has the `call.created` event.

Starts its own uvicorn on DATABASE_URL (PostgreSQL) and REDIS_URL, migrates that
database, creates `bench_op_N` operators and a `bench_pbx` account with tokens,
connects the operators over WebSocket (Token header + Origin), then sends ringing
events one after another and measures the delivery to every socket.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/ringing.py [--operators 50] [--rings 30] [--quick] [--json OUT]
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
import urllib.request
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
    from rest_framework.authtoken.models import Token

    from agencies.models import Membership

    User = get_user_model()

    def account(username: str, role: str) -> str:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        Membership.objects.update_or_create(user=user, defaults={"role": role, "agency": None})
        return Token.objects.get_or_create(user=user)[0].key

    return [account(f"bench_op_{i}", "operator") for i in range(n)], account("bench_pbx", "pbx")


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = common.bench_env(PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "dispatch.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--lifespan", "on", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


async def operator_socket(base: str, token: str, inbox: asyncio.Queue, ready: asyncio.Event, connected: list) -> None:
    def hello(_message: dict) -> None:
        connected.append(1)
        ready.set()

    def frame(message: dict, _now: float) -> None:
        if message.get("type") == "call.created":
            inbox.put_nowait((time.perf_counter(), message["data"]["id"]))

    await common.live_socket(base, token, on_hello=hello, on_frame=frame)


async def run(base: str, tokens: list[str], pbx_token: str, rings: int) -> dict:
    import httpx

    inboxes = [asyncio.Queue() for _ in tokens]
    connected: list = []
    tasks = []
    for token, inbox in zip(tokens, inboxes):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(operator_socket(base, token, inbox, ready, connected)))
        await asyncio.wait_for(ready.wait(), timeout=30)
    deliveries: list[float] = []
    posts: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": "Token " + pbx_token}, timeout=30) as client:
        for i in range(rings):
            body = {"event": "ringing", "pbx_call_id": f"bench-{uuid.uuid4().hex}", "caller_number": f"0812{7000000 + i:07d}",
                    "at": datetime.now(UTC).isoformat()}
            started = time.perf_counter()
            response = await client.post("/api/v1/telephony/events/", json=body)
            posts.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            call_id = response.json()["id"]
            for inbox in inboxes:
                while True:
                    received, got = await asyncio.wait_for(inbox.get(), timeout=30)
                    if got == call_id:
                        deliveries.append((received - started) * 1000)
                        break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"deliveries": deliveries, "posts": posts, "connected": len(connected)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.use_bench_env()
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--rings", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write [{name, value, unit}] here")
    parser.add_argument("--quick", action="store_true", help="10 operators, 10 rings")
    args = parser.parse_args(argv)
    if args.quick:
        args.operators, args.rings = min(args.operators, 10), min(args.rings, 10)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("bench/ringing.py needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    os.environ.setdefault("CHANNEL_PREFIX", f"bench{uuid.uuid4().hex[:6]}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    tokens, pbx_token = prepare_accounts(args.operators)
    port = common.free_port()
    server = start_server(port, args.workers)
    try:
        result = asyncio.run(run(f"http://127.0.0.1:{port}", tokens, pbx_token, args.rings))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    d, p = result["deliveries"], result["posts"]
    rows = [
        {"name": "ringing_to_every_screen_p50", "value": round(percentile(d, 0.50), 2), "unit": "ms"},
        {"name": "ringing_to_every_screen_p99", "value": round(percentile(d, 0.99), 2), "unit": "ms"},
        {"name": "ringing_to_every_screen_max", "value": round(max(d), 2), "unit": "ms"},
        {"name": "ringing_post_p50", "value": round(statistics.median(p), 2), "unit": "ms"},
        {"name": "ringing_operators_connected", "value": result["connected"], "unit": "sockets"},
        {"name": "ringing_deliveries", "value": len(d), "unit": "messages"},
    ]
    for row in rows:
        print(f"{row['name']:<32} {row['value']:>10} {row['unit']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
