"""`make test-ha`: build the high-availability layout in network namespaces and kill its machines under load.

The layout (bench/ha_cluster.py): HAProxy in front of two web nodes, PostgreSQL primary with a
synchronous standby under Patroni (etcd), Redis master and replica with three Sentinels, a node
for the Celery worker and beat. From this side, 20 calls/s go to HAProxy, each with an
`Idempotency-Key` and retried as the call desk retries (no answer, 502, 503, 504: again with the
same key after `Retry-After` or a backoff of up to 8 s), while 50 operators' sockets watch the
live stream (reconnecting through HAProxy and resyncing by `seq` as `static/js/live.js` does).
One at a time, a machine dies (its link goes down, then its processes): a web node, the
PostgreSQL primary's node, the Redis master's node.

For each fault: the time without service (the longest wait for a successful new call after the
kill), calls lost (never stored though the client tried), calls doubled (stored more than once),
and events missed (stored but never seen by a socket, after its resync). The escalation of an
unacknowledged dispatch due during the Redis fault, and its duty officer's notification, are
checked too. Writes bench/results/ha.json and prints a table; exits 1 when anything was lost,
doubled or missed, or writes took longer than 30 s to come back.

Needs root (network namespaces) and Debian's haproxy, patroni, etcd-server, redis-server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import ha_cluster  # noqa: E402
from ha_cluster import LB_URL, NODES, Cluster  # noqa: E402

RATE = 20.0  # calls per second
SOCKETS = 50
RETRY_MAX_SECONDS = 8.0
RETRY_TRIES = 30
WRITES_BACK_WITHIN_S = 30.0
PASSWORD = "bengkulu-112-demo"  # the demo accounts of `manage.py seed_demo`


@dataclass
class CallAttempt:
    key: str
    started: float
    answered: float | None = None
    status: int | None = None
    tries: int = 0
    statuses: list = field(default_factory=list)


class Load:
    """20 calls/s through HAProxy, each retried with its key until stored."""

    def __init__(self, client, token: str, run_id: str):
        self.client, self.token, self.run_id = client, token, run_id
        self.calls: list[CallAttempt] = []
        self.successes: list[float] = []
        self.tasks: set[asyncio.Task] = set()
        self.running = True

    async def post_one(self, attempt: CallAttempt) -> None:
        body = {"caller_number": f"+62812{random.randint(10000000, 99999999)}", "notes": f"HA {self.run_id} {attempt.key}"}  # nosec B311
        headers = {"Authorization": f"Token {self.token}", "Idempotency-Key": attempt.key}
        delay = 0.5
        while attempt.tries < RETRY_TRIES:
            attempt.tries += 1
            wait = None
            try:
                response = await self.client.post("/api/v1/calls/", json=body, headers=headers, timeout=5.0)
                attempt.statuses.append(response.status_code)
                if response.status_code in (200, 201):
                    attempt.answered, attempt.status = time.time(), response.status_code
                    self.successes.append(attempt.answered)
                    return
                if response.status_code < 500:
                    attempt.status = response.status_code  # refused: not retried, counted as lost if not stored
                    return
                retry_after = response.headers.get("Retry-After")
                wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
            except Exception as exc:  # noqa: BLE001 - no answer: retried like the desk
                attempt.statuses.append(type(exc).__name__)
            await asyncio.sleep(min(RETRY_MAX_SECONDS, wait if wait is not None else delay))
            delay = min(RETRY_MAX_SECONDS, delay * 2)

    async def run(self) -> None:
        interval, next_at = 1.0 / RATE, time.monotonic()
        while self.running:
            attempt = CallAttempt(key=str(uuid.uuid4()), started=time.time())
            self.calls.append(attempt)
            task = asyncio.create_task(self.post_one(attempt))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def drain(self, timeout: float) -> None:
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout)


class Watcher:
    """One operator's socket: reconnects through HAProxy with backoff, resyncs by seq on a gap or reconnect."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token
        self.first: int | None = None
        self.last: int | None = None
        self.seen: set[int] = set()
        self.reconnects = 0
        self.running = True
        self.final_resync = ""

    async def resync(self) -> None:
        while True:
            response = await self.client.get(f"/api/v1/events/?after={self.last or 0}",
                                             headers={"Authorization": f"Token {self.token}"}, timeout=5.0)
            response.raise_for_status()
            events = response.json()
            for event in events:
                self.take(event["seq"])
            if len(events) < 500:
                return

    def take(self, seq: int) -> None:
        self.seen.add(seq)
        if self.last is None or seq > self.last:
            self.last = seq

    async def run(self) -> None:
        import websockets

        url = LB_URL.replace("http://", "ws://") + "/ws/live/"
        headers = {"Authorization": f"Token {self.token}"}
        delay = 0.2
        while self.running:
            try:
                async with websockets.connect(url, additional_headers=headers, origin=LB_URL, open_timeout=5,
                                              ping_interval=2, ping_timeout=3) as socket:
                    pinger = asyncio.create_task(self.ping(socket))
                    try:
                        async for text in socket:
                            message = json.loads(text)
                            kind, seq = message.get("type"), message.get("seq")
                            if kind == "hello":
                                delay = 0.2
                                if self.first is None:
                                    self.first = self.last = seq
                                else:
                                    await self.resync()
                            elif kind == "pong":
                                if self.last is not None and seq > self.last:
                                    await self.resync()
                            elif seq is not None:
                                if self.last is not None and seq > self.last + 1:
                                    await self.resync()
                                self.take(seq)
                    finally:
                        pinger.cancel()
            except Exception:  # noqa: BLE001 - the node or the balancer went away: reconnect
                pass
            if not self.running:
                return
            self.reconnects += 1
            await asyncio.sleep(delay + random.random() * delay)  # nosec B311
            delay = min(2.0, delay * 2)

    async def ping(self, socket) -> None:
        while True:
            await asyncio.sleep(3)
            await socket.send("ping")


def on_primary(fn, *args):
    """Run an ORM read or write of the harness itself, on a fresh connection, retried across a failover."""
    from django.db import OperationalError, connection

    for attempt in range(20):
        connection.close()
        try:
            return fn(*args)
        except OperationalError:
            if attempt == 19:
                raise
            time.sleep(1)
    return None


def setup_django(env: dict) -> None:
    os.environ.update({k: v for k, v in env.items() if k not in ("PYTHONUNBUFFERED",)})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    import django

    django.setup()


def prepare_escalation_target() -> None:
    """A duty officer on the current shift of DAMKAR, so an escalation to level 2 notifies someone."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from agencies.models import Agency, DutyRoster
    from dispatch.shifts import shift_of

    day, shift = shift_of(timezone.now())
    user = get_user_model().objects.get(username="staf_damkar")
    DutyRoster.objects.get_or_create(agency=Agency.objects.get(code="DAMKAR"), date=day, shift=shift, user=user)


async def post_until_taken(client, path: str, body: dict, headers: dict) -> dict:
    """POST as the desk does: again after no answer or a 5xx (every step here is safe to repeat)."""
    last = None
    for _ in range(30):
        try:
            response = await client.post(path, json=body, headers=headers, timeout=10)
            if response.status_code < 500:
                if response.status_code >= 400:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
                return response.json()
            last = f"{response.status_code} {response.text[:200]}"
        except (OSError, ValueError, __import__("httpx").HTTPError) as exc:
            last = repr(exc)
        await asyncio.sleep(1)
    raise RuntimeError(f"{path} never taken: {last}")


async def open_dispatch(client, token: str, run_id: str) -> int:
    """An emergency dispatched to DAMKAR, through the balancer as an operator would."""
    headers = {"Authorization": f"Token {token}"}
    call = await post_until_taken(client, "/api/v1/calls/", {
        "caller_number": "+6281234567890", "notes": f"HA {run_id} escalation",
        "location": {"lat": -3.7956, "lon": 102.2592, "address": "Jl. Soeprapto"},
    }, headers | {"Idempotency-Key": f"esc-{run_id}"})
    classified = await post_until_taken(client, f"/api/v1/calls/{call['id']}/classify/",
                                        {"call_type": "emergency", "incident_type": "kebakaran_bangunan"}, headers)
    dispatched = await post_until_taken(client, f"/api/v1/incidents/{classified['incident']['id']}/dispatch/",
                                        {"agencies": ["DAMKAR"]}, headers)
    return dispatched["dispatches"][0]["id"]


def make_due(dispatch_id: int, seconds: float) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.models import Dispatch

    Dispatch.objects.filter(pk=dispatch_id).update(ack_deadline=timezone.now() + timedelta(seconds=seconds))


def escalation_outcome(dispatch_id: int) -> dict:
    from dispatch.models import Dispatch, Event, Notification

    dispatch = Dispatch.objects.get(pk=dispatch_id)
    return {
        "escalation_level": dispatch.escalation_level,
        "escalated_events": Event.objects.filter(type="dispatch.escalated", data__id=dispatch_id).count(),
        "notifications_sent": Notification.objects.filter(dispatch_id=dispatch_id, status="sent").count(),
    }


def stored_calls(run_id: str) -> dict[str, int]:
    from django.db.models import Count

    from calls.models import Call

    counts: dict[str, int] = {}
    for row in Call.objects.filter(notes__startswith=f"HA {run_id} ").values("notes").annotate(n=Count("id")):
        counts[row["notes"].rsplit(" ", 1)[1]] = row["n"]
    return counts


def stored_events(after: int) -> list[tuple[int, float]]:
    from dispatch.models import Event

    return [(seq, at.timestamp()) for seq, at in Event.objects.filter(seq__gt=after).order_by("seq").values_list("seq", "created_at")]


def event_types(after: int) -> list[tuple[int, str]]:
    from dispatch.models import Event

    return list(Event.objects.filter(seq__gt=after).values_list("seq", "type"))


def last_task_sweep() -> float | None:
    from dispatch.models import SweepRun

    row = SweepRun.objects.filter(runner="task").first()
    return row.finished_at.timestamp() if row else None


def downtime(successes: list[float], start: float, end: float) -> float:
    """The longest wait for a successful call after `start` (the kill), within the window."""
    points = [start] + sorted(t for t in successes if start < t <= end)
    if len(points) == 1:
        return end - start
    return max(b - a for a, b in zip(points, points[1:]))


async def scenario(cluster: Cluster, env: dict, *, quick: bool) -> dict:
    import httpx

    run_id = uuid.uuid4().hex[:8]
    phase = 12.0 if quick else 25.0
    pg_phase = 40.0 if quick else 50.0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=LB_URL, limits=limits) as client:
        token = (await client.post("/api/v1/auth/token/", json={"username": "operator", "password": PASSWORD}, timeout=10)).json()["token"]
        await asyncio.to_thread(on_primary, prepare_escalation_target)
        watchers = [Watcher(client, token) for _ in range(SOCKETS)]
        watcher_tasks = [asyncio.create_task(w.run()) for w in watchers]
        await asyncio.sleep(3)
        load = Load(client, token, run_id)
        load_task = asyncio.create_task(load.run())
        await asyncio.sleep(5)
        windows: dict[str, tuple[float, float]] = {}

        # 1. A web node.
        killed = await asyncio.to_thread(cluster.kill, "web1")
        await asyncio.sleep(phase)
        windows["web"] = (killed, time.time())

        # 2. The PostgreSQL primary's node.
        primary = ha_cluster.patroni_primary_address()
        primary_node = next(n for n in ("pg1", "pg2") if NODES[n] == primary)
        killed = await asyncio.to_thread(cluster.kill, primary_node)
        await asyncio.sleep(pg_phase)
        windows["postgres"] = (killed, time.time())

        # 3. The Redis master's node, with an escalation due meanwhile.
        dispatch_id = await open_dispatch(client, token, run_id)
        await asyncio.to_thread(on_primary, make_due, dispatch_id, 3)
        master = ha_cluster.redis_master()
        master_node = next(n for n in ("redis1", "redis2") if NODES[n] == master)
        killed = await asyncio.to_thread(cluster.kill, master_node)
        await asyncio.sleep(max(phase + 10, 40.0))
        windows["redis"] = (killed, time.time())

        load.running = False
        load_seconds = time.time() - load.calls[0].started
        await load_task
        await load.drain(timeout=120)
        await asyncio.sleep(3)
        for watcher in watchers:
            watcher.running = False
        for watcher in watchers:
            try:
                await watcher.resync()
                watcher.final_resync = "ok"
            except Exception as exc:  # noqa: BLE001 - reported as missed below
                watcher.final_resync = repr(exc)
        for task in watcher_tasks:
            task.cancel()
        await asyncio.gather(*watcher_tasks, return_exceptions=True)

    stored = await asyncio.to_thread(on_primary, stored_calls, run_id)
    first_seq = min(w.first for w in watchers if w.first is not None)
    events = await asyncio.to_thread(on_primary, stored_events, first_seq)
    types = dict(await asyncio.to_thread(on_primary, event_types, first_seq))
    task_sweeps = await asyncio.to_thread(on_primary, last_task_sweep)
    escalation = await asyncio.to_thread(on_primary, escalation_outcome, dispatch_id)
    faults = {}
    names = list(windows)
    for index, name in enumerate(names):
        start, end = windows[name]
        window_start = start if index else 0.0
        window_end = windows[names[index + 1]][0] if index + 1 < len(names) else float("inf")
        in_window = [c for c in load.calls if window_start <= c.started < window_end]
        # A socket misses an event if it never saw it, even after its final resync.
        seqs = [seq for seq, at in events if (start if index else 0) <= at < window_end]
        missing = [(index_w, seq) for index_w, w in enumerate(watchers) for seq in seqs if seq > (w.first or 0) and seq not in w.seen]
        missed = len(missing)
        faults[name] = {
            "downtime_s": round(downtime(load.successes, start, end), 2),
            "calls_lost": sum(1 for c in in_window if stored.get(c.key, 0) == 0),
            "calls_doubled": sum(1 for c in in_window if stored.get(c.key, 0) > 1),
            "events_missed": missed,
            "calls": len(in_window),
            "calls_retried": sum(1 for c in in_window if c.tries > 1),
            "events": len(seqs),
        }
        if missing:
            faults[name]["missed_sample"] = [{"socket": i, "seq": seq, "type": types.get(seq),
                                              "socket_last": watchers[i].last, "final_resync": watchers[i].final_resync}
                                             for i, seq in missing[:10]]
    faults["redis"]["escalation"] = escalation
    seqs_stored = [seq for seq, _ in events]
    gaps = sum(1 for a, b in zip(seqs_stored, seqs_stored[1:]) if b != a + 1)
    # The task queue (worker and beat through Sentinel) sweeps again after the failover.
    faults["redis"]["task_sweep_after_fault"] = bool(task_sweeps and task_sweeps > windows["redis"][0])
    return {
        "faults": faults,
        "calls_total": len(load.calls),
        "calls_answered": sum(1 for c in load.calls if c.answered),
        "socket_reconnects": sum(w.reconnects for w in watchers),
        "seq_gaps": gaps,
        "sockets": SOCKETS,
        "rate_calls_per_s": RATE,
        # What the generator managed to start (it shares the cores with every node of the cluster).
        "offered_calls_per_s": round(len(load.calls) / load_seconds, 1),
        "patroni": {"ttl": ha_cluster.PATRONI_TTL, "loop_wait": ha_cluster.PATRONI_LOOP_WAIT,
                    "retry_timeout": ha_cluster.PATRONI_RETRY_TIMEOUT},
        "sentinel_down_after_ms": ha_cluster.SENTINEL_DOWN_AFTER_MS,
    }


def failures(result: dict) -> list[str]:
    problems = []
    for name, figures in result["faults"].items():
        for key in ("calls_lost", "calls_doubled", "events_missed"):
            if figures[key]:
                problems.append(f"{name}: {key} = {figures[key]}")
    if result["faults"]["postgres"]["downtime_s"] > WRITES_BACK_WITHIN_S:
        problems.append(f"postgres: writes came back after {result['faults']['postgres']['downtime_s']} s")
    if result["seq_gaps"]:
        problems.append(f"the stored events' seq has {result['seq_gaps']} gaps")
    if not result["faults"]["redis"]["task_sweep_after_fault"]:
        problems.append("redis: the task queue (worker and beat through Sentinel) never swept again")
    escalation = result["faults"]["redis"]["escalation"]
    if escalation["escalation_level"] < 2 or not escalation["escalated_events"] or not escalation["notifications_sent"]:
        problems.append(f"redis: escalation did not go on ({escalation})")
    return problems


def table(result: dict) -> str:
    lines = ["fault     | without service | calls (retried) | lost | doubled | events | missed",
             "----------|-----------------|-----------------|------|---------|--------|-------"]
    for name, f in result["faults"].items():
        lines.append(f"{name:<9} | {f['downtime_s']:>13.2f} s | {f['calls']:>7} ({f['calls_retried']:>5}) | {f['calls_lost']:>4} |"
                     f" {f['calls_doubled']:>7} | {f['events']:>6} | {f['events_missed']:>6}")
    e = result["faults"]["redis"]["escalation"]
    lines.append(f"escalation during the Redis fault: level {e['escalation_level']}, {e['escalated_events']} escalation events,"
                 f" {e['notifications_sent']} duty-officer notifications sent")
    lines.append(f"{result['calls_answered']} of {result['calls_total']} calls answered ({result['offered_calls_per_s']} calls/s offered); {result['socket_reconnects']} socket reconnects;"
                 f" {result['seq_gaps']} gaps in the stored seq; task sweep after the Redis failover:"
                 f" {'yes' if result['faults']['redis']['task_sweep_after_fault'] else 'no'}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", default=str(HERE / "results" / "ha.json"))
    parser.add_argument("--quick", action="store_true", help="shorter phases")
    parser.add_argument("--keep", action="store_true", help="leave the work directory (logs) behind")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("make test-ha needs root (network namespaces)", file=sys.stderr)
        return 2
    missing = ha_cluster.tools_missing()
    if missing:
        print(f"make test-ha needs: {', '.join(missing)} (apt-get install haproxy patroni etcd-server redis-server)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="d112ha-"))
    workdir.chmod(0o755)
    cluster = Cluster(workdir)
    started = time.monotonic()
    try:
        def step(what: str) -> None:
            print(f"{time.monotonic() - started:6.1f} s  {what}", flush=True)

        cluster.network_up()
        cluster.start_etcd()
        step("etcd up")
        cluster.start_postgres("pg1")
        ha_cluster.wait_for(lambda: ha_cluster.patroni_primary_address() == NODES["pg1"], 90, "pg1 primary")
        step("pg1 primary")
        cluster.start_postgres("pg2")
        cluster.wait_postgres_cluster()
        step("pg2 synchronous standby")
        cluster.start_redis()
        step("Redis master, replica and Sentinels")
        env = cluster.app_env(ESCALATION_OFFICER_SECONDS="6")
        cluster.prepare_database(env)
        step("database migrated and loaded")
        setup_django(env)
        cluster.start_web(env)
        cluster.start_worker(env)
        cluster.start_haproxy()
        step("web nodes, worker, beat and HAProxy")
        print(f"cluster up in {time.monotonic() - started:.0f} s (work directory {workdir})", flush=True)
        result = asyncio.run(scenario(cluster, env, quick=args.quick))
    finally:
        cluster.stop()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    result["duration_s"] = round(time.monotonic() - started, 1)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    problems = failures(result)
    for problem in problems:
        print("FAILED:", problem)
    print(f"the HA run took {result['duration_s']} s")
    print(f"test-ha: {'0 passed, 1 failed' if problems else '1 passed, 0 failed'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
