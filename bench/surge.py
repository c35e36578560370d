"""An earthquake surge against a 2-worker server (then a 1-worker one), watched by N live sockets.

Runs `manage.py simulate` (normal mix, then a 20x surge where most calls
report a few incidents and are joined to them through the duplicates API)
while N WebSocket clients (operators, Token auth) are connected. Measures,
during the surge: call-creation and classification latency (p50/p99), the
commit-to-screen p99 over all sockets (event `ts`, stamped right after
commit, to arrival), duplicate suggestions offered, and losses: calls
(database count == sent) and events (every socket got every seq after its hello).

    python bench/surge.py [--json OUT] [--quick] [--clients 200] [--rate 4] [--surge-factor 20] [--duration 40] [--workers 2,1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


class Watcher:
    """One operator's socket: every seq it got, and the commit-to-screen delay of each live frame."""

    def __init__(self):
        self.first_seq = None
        self.seqs: set[int] = set()
        self.delays: list[tuple[float, float]] = []  # (arrival time, delay in s)

    async def run(self, base: str, token: str, ready: asyncio.Event, stop: asyncio.Event, counter: list):
        def hello(message: dict) -> None:
            self.first_seq = message["seq"]
            counter[0] += 1
            if counter[0] == counter[1]:
                ready.set()

        await common.live_socket(base, token, on_hello=hello, on_frame=self.frame, stop=stop)

    def frame(self, message: dict, now: float) -> None:
        if "seq" in message and message.get("type") != "hello":
            self.seqs.add(message["seq"])
            if "ts" in message:
                self.delays.append((now, now - message["ts"]))


async def watch(base: str, token: str, clients: int, until_done) -> list[Watcher]:
    ready, stop = asyncio.Event(), asyncio.Event()
    counter = [0, clients]
    watchers = [Watcher() for _ in range(clients)]
    tasks = []
    for w in watchers:  # connect in small batches; a 2-core server accepts a few hundred quickly enough
        tasks.append(asyncio.create_task(w.run(base, token, ready, stop, counter)))
        await asyncio.sleep(0.005)
    await asyncio.wait_for(ready.wait(), 60)
    await until_done()
    # Wait until every socket has every event stored so far (or DRAIN_SECONDS pass): what is missing then is lost.
    last = await asyncio.to_thread(stored_last_seq)
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if all(w.first_seq is not None and len(w.seqs) >= last - w.first_seq for w in watchers):
            break
        await asyncio.sleep(0.25)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return watchers


DRAIN_SECONDS = 30


def close_earlier_incidents() -> None:
    """Every run starts from a floor with no open incident.

    The surge's incidents are at the same few places every run; a run started within
    half an hour of an earlier one would otherwise find that run's incidents among its
    duplicate candidates and measure a floor that never closes a ticket.
    """
    with common.pg_connect() as conn:
        conn.execute("UPDATE dispatch_incident SET status = 'closed', closed_at = now() WHERE status <> 'closed'")


def stored_last_seq() -> int:
    with common.pg_connect() as conn:
        return conn.execute("SELECT coalesce(max(seq), 0) FROM dispatch_event").fetchone()[0]


def measure(*, workers: int, clients: int, rate: float, surge_factor: float, duration: float, prefix: str) -> list[dict]:
    """One surge against a server with `workers` processes; figures named `prefix.*`."""
    close_earlier_incidents()
    proc, base = common.start_server(workers=workers, DB_POOL="1", DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE="8")
    sim_out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    # Where the two cores go during the surge: the server, the database, Redis, and the load
    # generator (the traffic and the 200 watching sockets, which in life run on other machines).
    cpu = common.CpuByParty({"server": proc.pid}, {"watchers": os.getpid()})
    cpu.start()
    try:
        token = common.token(base)

        async def run_simulation():
            cmd = [common.PYTHON, "bench/surge_traffic.py", "--rate", str(rate), "--duration", str(duration),
                   "--surge-factor", str(surge_factor), "--base-url", base, "--token", token, "--json-out", sim_out]
            sim = await asyncio.create_subprocess_exec(*cmd, cwd=str(common.ROOT), env=common.bench_env(),
                                                       stdout=subprocess.DEVNULL)
            cpu.trees["traffic"] = sim.pid
            await sim.wait()
            if sim.returncode != 0:
                raise RuntimeError(f"simulate exited with {sim.returncode}")

        with common.client_gc_paused():
            watchers = asyncio.run(watch(base, token, clients, run_simulation))
        sim = json.loads(Path(sim_out).read_text())
        with common.pg_connect() as conn:
            stored = conn.execute("SELECT count(*) FROM calls_call WHERE id = ANY(%s)", (sim["call_ids"],)).fetchone()[0]
            last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM dispatch_event").fetchone()[0]
    finally:
        cpu.stop()
        common.stop(proc)
        Path(sim_out).unlink(missing_ok=True)

    lost_events = 0
    for w in watchers:
        expected = set(range(w.first_seq + 1, last_seq + 1))
        lost_events += len(expected - w.seqs)
    surge_delays = [d for w in watchers for (t, d) in w.delays if sim["surge_started"] <= t <= sim["surge_ended"] + 2]
    surge_seconds = max(1e-9, sim["surge_ended"] - sim["surge_started"])
    surge_rate = sim["surge_calls"] / surge_seconds
    lost_calls = sim["sent"] - stored
    cores = cpu.cores(sim["surge_started"], sim["surge_ended"])
    print(f"{workers} worker(s):")
    print(json.dumps({k: v for k, v in sim.items() if k != "call_ids"}, indent=2))
    print(f"clients {clients}, stored {stored}/{sim['sent']}, lost events {lost_events}, surge {surge_rate:.1f} calls/s")
    print("cores used during the surge: " + ", ".join(f"{name} {value}" for name, value in cores.items()))
    duplicates = sim["duplicate_suggestions"] if sim["duplicates_api"] else None
    results = [
        {"name": "offered_calls_per_s", "value": round(surge_rate, 1), "unit": "calls/s (offered; all must complete)"},
        {"name": "create_p50", "value": round(sim["surge_create_p50_ms"], 1), "unit": "ms"},
        {"name": "create_p99", "value": round(sim["surge_create_p99_ms"], 1), "unit": "ms"},
        {"name": "classify_p50", "value": round(sim["surge_classify_p50_ms"], 1), "unit": "ms"},
        {"name": "classify_p99", "value": round(sim["surge_classify_p99_ms"], 1), "unit": "ms"},
        # From the call's arrival to its classification's answer, the wait for an operator's place included.
        {"name": "classified_after_p50", "value": round(sim["surge_classified_after_p50_ms"], 1), "unit": "ms"},
        {"name": "classified_after_p99", "value": round(sim["surge_classified_after_p99_ms"], 1), "unit": "ms"},
        {"name": "commit_to_screen_p50", "value": round(common.percentile(surge_delays, 50) * 1000, 1), "unit": "ms"},
        {"name": "commit_to_screen_p99", "value": round(common.percentile(surge_delays, 99) * 1000, 1), "unit": "ms"},
        {"name": "ws_clients", "value": clients, "unit": "sockets"},
        {"name": "duplicate_suggestions", "value": duplicates if duplicates is not None else "n/a", "unit": "calls"},
        {"name": "joined_existing_incident", "value": sim["joined_existing"], "unit": "calls"},
        {"name": "incidents_opened", "value": sim["incidents_opened"], "unit": "incidents"},
        {"name": "calls_lost", "value": lost_calls, "unit": "calls"},
        {"name": "events_lost", "value": lost_events, "unit": "events (all sockets)"},
        {"name": "request_errors", "value": sum(sim["errors"].values()), "unit": "requests"},
    ]
    results += [{"name": f"cores.{name}", "value": value, "unit": "cores (average during the surge)"}
                for name, value in cores.items()]
    return [dict(r, name=f"{prefix}.{r['name']}") for r in results]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--rate", type=float, default=4.0)
    parser.add_argument("--surge-factor", type=float, default=20.0)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--workers", default="2,1",
                        help="web processes, comma separated; 2 gives surge.*, any other N surge.Nproc.* (quick: the first only)")
    args = parser.parse_args(argv)
    clients = args.clients or (30 if args.quick else 200)
    duration = args.duration or (5.0 if args.quick else 30.0)
    rate = args.rate if not args.quick else min(args.rate, 1.0)

    common.ensure_database()
    results = []
    for workers in common.worker_counts(args.workers, quick=args.quick):
        results += measure(workers=workers, clients=clients, rate=rate, surge_factor=args.surge_factor, duration=duration,
                           prefix="surge" if workers == 2 else f"surge.{workers}proc")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    for r in results:
        print(f"{r['name']:<40} {r['value']!s:>10} {r['unit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
