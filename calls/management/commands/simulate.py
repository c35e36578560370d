"""Play realistic 112 traffic into the API: a normal hour, then an earthquake surge.

    python manage.py simulate --rate 4 --duration 60 --surge-factor 20 --base-url http://127.0.0.1:8000 --token KEY

Normal mix (Kota Bengkulu's 112 is mostly ghost and prank calls): under 1 %
emergencies, information and complaint calls, ghost calls, and a handful of
repeat pranksters calling again and again. The surge (an earthquake) plays
at `rate x surge-factor`: most calls report one of a few incidents near a
few places, so the operator looks up the duplicates of each call and joins
it to the open incident when one is offered. Every call carries its own
Idempotency-Key. Prints (or writes with --json-out) what was sent and how long it took.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand

NORMAL_MIX = [("emergency", 0.008), ("information", 0.22), ("complaint", 0.06), ("ghost", 0.42), ("prank", 0.292)]
EMERGENCY_TYPES = ["kebakaran_bangunan", "kecelakaan_lalu_lintas", "darurat_medis", "pohon_tumbang", "kriminal"]
# Places in Kota Bengkulu where the surge's incidents are (lat, lon, type, words).
SURGE_HOTSPOTS = [
    (-3.7956, 102.2592, "gempa_tsunami", "Rumah roboh di Pasar Minggu setelah gempa"),
    (-3.8004, 102.2655, "kebakaran_bangunan", "Kebakaran toko setelah gempa di Jl. Suprapto"),
    (-3.7870, 102.2502, "gempa_tsunami", "Dinding sekolah runtuh di Pantai Panjang, ada korban"),
    (-3.8208, 102.2856, "tanah_longsor", "Longsor menimpa rumah di Sumur Dewa"),
    (-3.7650, 102.2680, "darurat_medis", "Banyak warga luka di Beringin Raya setelah gempa"),
]
PRANKSTERS = [f"0812731{n:05d}" for n in range(12)]
# As static/js/common.js (App.untilTaken): what is retried, how often, and how long between tries.
TRANSIENT_STATUSES = {502, 503, 504}
RETRY_LIMIT = 30


def retry_delay(retry_after: str | None, attempt: int) -> float:
    """Seconds before the next try: the server's Retry-After when it gives one, else 1, 2, 4, 8, 8, ...; at most 10."""
    try:
        asked = int(retry_after) if retry_after is not None else 0
    except ValueError:
        asked = 0
    return float(min(asked if asked > 0 else min(2 ** (attempt - 1), 8), 10))


@dataclass
class Stats:
    sent: int = 0
    created: int = 0
    replayed: int = 0
    errors: dict = field(default_factory=dict)
    create_ms: list = field(default_factory=list)
    classify_ms: list = field(default_factory=list)
    duplicates_ms: list = field(default_factory=list)
    surge_create_ms: list = field(default_factory=list)
    surge_classify_ms: list = field(default_factory=list)
    surge_classified_after_ms: list = field(default_factory=list)  # from the call's arrival
    duplicate_lookups: int = 0
    duplicate_suggestions: int = 0
    joined_existing: int = 0
    incidents_opened: int = 0
    duplicates_api: bool | None = None
    call_ids: list = field(default_factory=list)
    surge_started: float = 0.0
    surge_ended: float = 0.0

    def error(self, what: str, status: int) -> None:
        key = f"{what}:{status}"
        self.errors[key] = self.errors.get(key, 0) + 1


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))]


class Simulator:
    def __init__(self, *, base_url: str, token: str, seed: int, think: float):
        self.base_url, self.token, self.think = base_url.rstrip("/"), token, think
        self.rng = random.Random(seed)
        self.stats = Stats()

    def _number(self, call_type: str) -> str | None:
        if call_type == "prank" and self.rng.random() < 0.6:
            return self.rng.choice(PRANKSTERS)
        if call_type == "ghost" and self.rng.random() < 0.1:
            return None
        return f"08{self.rng.choice(['12', '13', '21', '52', '77'])}{self.rng.randrange(10**8):08d}"

    async def _post(self, client, path: str, body: dict, headers: dict | None = None, *, since: float | None = None):
        """POST as the operator's desk does: a request the server did not take (no answer, 502, 503,
        504) is sent again, same body and key, after Retry-After or a backoff, up to RETRY_LIMIT tries.
        The time reported runs from the first try (or from `since`, a `perf_counter` time) to the answer."""
        t0 = time.perf_counter() if since is None else since
        for attempt in range(1, RETRY_LIMIT + 1):
            try:
                r = await client.post(path, json=body, headers=headers)
            except Exception:  # noqa: BLE001 - network error: retry, same key
                r = None
            if r is not None and r.status_code not in TRANSIENT_STATUSES:
                return r, (time.perf_counter() - t0) * 1000
            if attempt < RETRY_LIMIT:
                await asyncio.sleep(retry_delay(r.headers.get("retry-after") if r is not None else None, attempt))
        return r, (time.perf_counter() - t0) * 1000

    async def one_call(self, client, *, surge: bool, arrived: float | None = None, desk=None) -> None:
        """One call: created as it rings (as the phone system posts it), then, once `desk` (a
        semaphore: the operators' places) lets it in, looked up for duplicates (emergencies) and
        classified. Times run from `arrived` (when the call came in): its creation time, and the
        time until it was classified, which includes the wait for a desk."""
        rng, stats = self.rng, self.stats
        hotspot = None
        if surge and rng.random() < 0.7:
            call_type, hotspot = "emergency", rng.choice(SURGE_HOTSPOTS)
        elif surge:
            call_type = rng.choice(["information", "information", "ghost", "prank"])
        else:
            call_type = rng.choices([t for t, _ in NORMAL_MIX], [w for _, w in NORMAL_MIX])[0]
        body: dict = {"caller_number": self._number(call_type), "notes": ""}
        incident_type = None
        if hotspot:
            lat, lon, incident_type, words = hotspot
            body["location"] = {"lat": lat + rng.uniform(-0.001, 0.001), "lon": lon + rng.uniform(-0.001, 0.001), "address": words[:60]}
            body["notes"] = words
        elif call_type == "emergency":
            incident_type = rng.choice(EMERGENCY_TYPES)
            body["location"] = {"lat": -3.80 + rng.uniform(-0.03, 0.03), "lon": 102.27 + rng.uniform(-0.03, 0.03), "address": ""}
        stats.sent += 1
        r, ms = await self._post(client, "/api/v1/calls/", body, {"Idempotency-Key": uuid.uuid4().hex}, since=arrived)
        if r is None or r.status_code != 201:
            stats.error("create", r.status_code if r is not None else 0)
            return
        stats.created += 1
        stats.replayed += r.headers.get("idempotent-replayed") == "true"
        (stats.surge_create_ms if surge else stats.create_ms).append(ms)
        call_id = r.json()["id"]
        stats.call_ids.append(call_id)
        async with desk or contextlib.nullcontext():
            await self._classify(client, call_id, call_type, incident_type, surge=surge, arrived=arrived)

    async def _classify(self, client, call_id, call_type: str, incident_type: str | None, *, surge: bool,
                        arrived: float | None) -> None:
        rng, stats = self.rng, self.stats
        if self.think:
            await asyncio.sleep(rng.uniform(0, self.think))
        classify: dict = {"call_type": call_type}
        if call_type == "emergency":
            classify["incident_type"] = incident_type
            if stats.duplicates_api is not False:
                t0 = time.perf_counter()
                try:
                    d = await client.get(f"/api/v1/calls/{call_id}/duplicates/", params={"incident_type": incident_type})
                    status = d.status_code
                except Exception:  # noqa: BLE001 - no suggestion this time; the call is still classified
                    status = 0
                    stats.error("duplicates", status)
                if status == 404 and stats.duplicates_api is None:
                    stats.duplicates_api = False
                elif status == 200:
                    stats.duplicates_api = True
                    stats.duplicates_ms.append((time.perf_counter() - t0) * 1000)
                    stats.duplicate_lookups += 1
                    candidates = d.json().get("candidates", [])
                    if candidates:
                        stats.duplicate_suggestions += 1
                        classify["duplicate_of"] = candidates[0]["id"]
        r, ms = await self._post(client, f"/api/v1/calls/{call_id}/classify/", classify)
        if r is None or r.status_code != 200:
            stats.error("classify", r.status_code if r is not None else 0)
            return
        (stats.surge_classify_ms if surge else stats.classify_ms).append(ms)
        if surge and arrived is not None:
            stats.surge_classified_after_ms.append((time.perf_counter() - arrived) * 1000)
        if call_type == "emergency":
            if "duplicate_of" in classify:
                stats.joined_existing += 1
            else:
                stats.incidents_opened += 1

    def http_client(self, max_in_flight: int):
        """The HTTP client the calls go through: httpx, Token auth, a 30 s timeout.

        Anything with the same `post(path, json=, headers=)` and `get(path, params=)`
        (answers with `status_code`, `headers` and `json()`), used as an async context
        manager, can stand in: the surge benchmark passes a leaner one.
        """
        import httpx

        headers = {"Authorization": f"Token {self.token}"}
        limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30, limits=limits)

    async def run(self, *, rate: float, duration: float, surge_factor: float, surge_at: float, surge_seconds: float,
                  max_in_flight: int, client=None) -> Stats:
        in_flight = asyncio.Semaphore(max_in_flight)
        tasks = []
        async with client or self.http_client(max_in_flight) as client:
            start = time.perf_counter()
            next_at = 0.0
            while next_at < duration:
                surge = surge_at <= next_at < surge_at + surge_seconds
                delay = start + next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if surge and not self.stats.surge_started:
                    self.stats.surge_started = time.time()
                if not surge and self.stats.surge_started and not self.stats.surge_ended:
                    self.stats.surge_ended = time.time()

                async def call(surge=surge, arrived=time.perf_counter()):
                    await self.one_call(client, surge=surge, arrived=arrived, desk=in_flight)

                tasks.append(asyncio.create_task(call()))
                current = rate * (surge_factor if surge else 1.0)
                next_at += self.rng.expovariate(current)  # Poisson arrivals
            await asyncio.gather(*tasks)
        if self.stats.surge_started and not self.stats.surge_ended:
            self.stats.surge_ended = time.time()
        return self.stats


def summary(stats: Stats) -> dict:
    return {
        "sent": stats.sent,
        "created": stats.created,
        "replayed": stats.replayed,
        "errors": stats.errors,
        "create_p50_ms": pct(stats.create_ms, 50),
        "create_p99_ms": pct(stats.create_ms, 99),
        "surge_calls": len(stats.surge_create_ms),
        "surge_create_p50_ms": pct(stats.surge_create_ms, 50),
        "surge_create_p99_ms": pct(stats.surge_create_ms, 99),
        "surge_classify_p50_ms": pct(stats.surge_classify_ms, 50),
        "surge_classify_p99_ms": pct(stats.surge_classify_ms, 99),
        "surge_classified_after_p50_ms": pct(stats.surge_classified_after_ms, 50),
        "surge_classified_after_p99_ms": pct(stats.surge_classified_after_ms, 99),
        "duplicates_api": stats.duplicates_api,
        "duplicates_p99_ms": pct(stats.duplicates_ms, 99),
        "duplicate_lookups": stats.duplicate_lookups,
        "duplicate_suggestions": stats.duplicate_suggestions,
        "joined_existing": stats.joined_existing,
        "incidents_opened": stats.incidents_opened,
        "surge_started": stats.surge_started,
        "surge_ended": stats.surge_ended,
        "call_ids": stats.call_ids,
    }


class Command(BaseCommand):
    help = "Play a normal mix of 112 calls, then an earthquake surge, into the API."

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=2.0, help="normal calls per second")
        parser.add_argument("--duration", type=float, default=60.0, help="seconds in all")
        parser.add_argument("--surge-factor", type=float, default=20.0)
        parser.add_argument("--surge-at", type=float, default=None, help="second the surge starts (default: a quarter in)")
        parser.add_argument("--surge-seconds", type=float, default=None, help="surge length (default: half the duration)")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--token", required=True)
        parser.add_argument("--seed", type=int, default=112)
        parser.add_argument("--think", type=float, default=0.0, help="max seconds between answering and classifying")
        parser.add_argument("--max-in-flight", type=int, default=256,
                            help="calls being looked up and classified at once (the operators' places); creation is never held back")
        parser.add_argument("--json-out")

    def handle(self, *args, rate, duration, surge_factor, surge_at, surge_seconds, base_url, token, seed, think,
               max_in_flight, json_out, **options):
        surge_at = duration / 4 if surge_at is None else surge_at
        surge_seconds = duration / 2 if surge_seconds is None else surge_seconds
        simulator = Simulator(base_url=base_url, token=token, seed=seed, think=think)
        stats = asyncio.run(simulator.run(rate=rate, duration=duration, surge_factor=surge_factor, surge_at=surge_at,
                                          surge_seconds=surge_seconds, max_in_flight=max_in_flight))
        result = summary(stats)
        if json_out:
            with open(json_out, "w") as handle:
                json.dump(result, handle)
        shown = {k: v for k, v in result.items() if k != "call_ids"}
        self.stdout.write(json.dumps(shown, indent=2))
