"""Disaster banner: from a pushed BMKG CAP alert to the `disaster.started` frame on every socket.

Starts its own uvicorn (1 web process) on PostgreSQL + Redis, connects N WebSocket clients
(operators, supervisors and agency staff, as live_fanout does: disaster events go to every
socket, agencies included), then, for each round, the feed account pushes a CAP 1.2 earthquake
alert near Kota Bengkulu (`POST /api/v1/hazards/cap/`) and a Cancel of it once every socket has
the start. Latency per socket: client wall clock on receipt of `disaster.started` minus the
wall clock just before the push was sent (same machine, same clock), so it counts parsing and
schema validation, storing, the BPBD incident and the fan-out. Also: the push's own answer time.

    python bench/disaster_banner.py [--clients 200] [--rounds 5] [--json OUT] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import common  # noqa: E402
from live_clients import connected, tokens  # noqa: E402

WIB = timezone(timedelta(hours=7))
CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>BMKG</sender><sent>{sent}</sent><status>Actual</status>
  <msgType>{msg_type}</msgType><scope>Public</scope>{references}
  <info><language>id-ID</language><category>Geo</category><event>Gempabumi</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Observed</certainty><expires>{expires}</expires>
    <headline>Info Gempa kekuatan:6.2 SR, (38 km BaratDaya KOTA BENGKULU-BENGKULU)</headline>
    <parameter><valueName>magnitude</valueName><value>6.2</value></parameter>
    <parameter><valueName>depth</valueName><value>25 km</value></parameter>
    <area><areaDesc>38 km BaratDaya KOTA BENGKULU-BENGKULU</areaDesc><circle>-4.05,102.02 0</circle></area>
  </info>
</alert>"""


def cap(identifier: str, *, msg_type: str = "Alert", references: str = "") -> bytes:
    now = datetime.now(WIB)
    return CAP.format(
        identifier=identifier, msg_type=msg_type, sent=f"{now:%Y-%m-%dT%H:%M:%S+07:00}",
        expires=f"{now + timedelta(hours=6):%Y-%m-%dT%H:%M:%S+07:00}",
        references=f"<references>BMKG,{references},{now:%Y-%m-%dT%H:%M:%S+07:00}</references>" if references else "",
    ).encode()


def feed_token_and_quiet_start() -> str:
    """The feed account's token; any disaster mode left by an earlier run is ended first."""
    from django.contrib.auth import get_user_model
    from dispatch.tokens import token_create

    from agencies.services import user_upsert
    from hazards.services import disaster_end
    from hazards.selectors import active_period

    user = get_user_model().objects.filter(username="bench_feed").first() or user_upsert(
        username="bench_feed", role="feed", password=uuid.uuid4().hex, validate=False)
    if active_period() is not None:
        disaster_end(user=None)
    return token_create(user=user).key


async def push(base: str, token: str, body: bytes) -> tuple[int, float]:
    conn = common.HttpConnection(base, {"Authorization": f"Token {token}"})
    try:
        started = time.monotonic()
        status, _ = await conn.request("POST", "/api/v1/hazards/cap/", body)
        return status, time.monotonic() - started
    finally:
        await conn.close()


async def rounds(base: str, toks: dict[str, str], feed: str, n: int, count: int) -> dict:
    async with connected(base, toks, n) as clients:
        latencies, answers, delivered, expected = [], [], 0, 0

        async def until_all(kind: str, seen_before: list[int]) -> None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if all(sum(1 for f in c.frames if f[1] == kind) > seen_before[i] for i, c in enumerate(clients)):
                    return
                await asyncio.sleep(0.01)

        for r in range(count + 1):  # round 0 warms the process (first push, first incident), not measured
            identifier = f"Indonesia-InaTEWS-earthquakes-bench-{uuid.uuid4().hex[:12]}"
            before = [sum(1 for f in c.frames if f[1] == "disaster.started") for c in clients]
            sent_at = time.time()
            status, answer = await push(base, feed, cap(identifier))
            if status != 201:
                raise RuntimeError(f"push answered {status}")
            await until_all("disaster.started", before)
            if r:
                answers.append(answer * 1000)
                for i, c in enumerate(clients):
                    frames = [f for f in c.frames if f[1] == "disaster.started"]
                    expected += 1
                    if len(frames) > before[i]:
                        delivered += 1
                        latencies.append((frames[-1][4] - sent_at) * 1000)
            ended_before = [sum(1 for f in c.frames if f[1] == "disaster.ended") for c in clients]
            status, _ = await push(base, feed, cap(f"{identifier}-cancel", msg_type="Cancel", references=identifier))
            if status != 201:
                raise RuntimeError(f"cancel answered {status}")
            await until_all("disaster.ended", ended_before)
    return {"p50": common.percentile(latencies, 50), "p99": common.percentile(latencies, 99),
            "answer_p50": common.percentile(answers, 50), "delivered": delivered, "expected": expected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--quick", action="store_true", help="fewer clients and rounds")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.rounds = min(args.clients, 50), min(args.rounds, 2)
    common.ensure_database()
    toks = tokens()  # also sets this process up on the bench database
    feed = feed_token_and_quiet_start()
    proc, base = common.start_server(workers=1, CHANNEL_PREFIX=f"bench{uuid.uuid4().hex[:6]}")
    try:
        with common.client_gc_paused():
            result = asyncio.run(rounds(base, toks, feed, args.clients, args.rounds))
    finally:
        common.stop(proc)
    label = f"disaster_banner.{args.clients}c"
    print(f"{label}: {args.rounds} alerts; disaster.started delivered {result['delivered']}/{result['expected']}")
    common.write_json(args.json_out, [
        {"name": f"{label}.p50", "value": round(result["p50"], 2), "unit": "ms"},
        {"name": f"{label}.p99", "value": round(result["p99"], 2), "unit": "ms"},
        {"name": f"{label}.push_answer_p50", "value": round(result["answer_p50"], 2), "unit": "ms"},
        {"name": f"{label}.delivered_pct", "value": 100.0 * result["delivered"] / max(1, result["expected"]), "unit": "%"},
    ])


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    main()
