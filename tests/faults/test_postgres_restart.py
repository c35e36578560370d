"""PostgreSQL restarted under load: 503 with Retry-After during the gap, never 500; retries with
the same Idempotency-Key lose nothing and double nothing; readiness follows the database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import pytest

from tests.servers import POOLED, ROOT, start_server, stop_process

pytestmark = [pytest.mark.faults, pytest.mark.services]

PASSWORD = "a-long-fault-password-112"
CLIENTS = 12
DOWN_SECONDS = 6


def _prepare_database(url: str, env: dict) -> None:
    for args in (["migrate", "--noinput"], ["load_bengkulu"],
                 ["add_user", "fault_operator", "--role", "operator", "--password", PASSWORD]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, "DATABASE_URL": url}, check=True,
                       stdout=subprocess.DEVNULL)


def test_postgres_restart_under_load_gives_503_then_recovers_without_loss_or_duplicates(throwaway_postgres, throwaway_redis):
    import os

    import httpx
    import psycopg

    pg = throwaway_postgres
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE dispatch_fault")
    url = pg.url("dispatch_fault")
    env = dict(os.environ, REDIS_URL=throwaway_redis.url, LOG_LEVEL="ERROR")
    _prepare_database(url, env)
    proc, base = start_server({"REDIS_URL": throwaway_redis.url, "LOG_LEVEL": "ERROR", "AXES_ENABLED": "0", **POOLED},
                              workers=2, database_url=url)
    try:
        token = httpx.post(base + "/api/v1/auth/token/", json={"username": "fault_operator", "password": PASSWORD}).json()["token"]
        keys: list[str] = []
        statuses: dict[int, int] = {}
        missing_retry_after = 0
        ready_log: list[tuple[float, int]] = []
        stop_load = asyncio.Event()
        marks: dict[str, float] = {}

        async def client_loop(client: httpx.AsyncClient, n: int):
            nonlocal missing_retry_after
            i = 0
            while not stop_load.is_set():
                key = uuid.uuid4().hex
                keys.append(key)
                body = {"caller_number": f"08128{n:02d}{i:05d}", "notes": "uji gangguan"}
                i += 1
                while True:  # the same key until the call is surely recorded
                    try:
                        r = await client.post("/api/v1/calls/", json=body, headers={"Idempotency-Key": key})
                        code = r.status_code
                    except httpx.TransportError:
                        code, r = 0, None
                    statuses[code] = statuses.get(code, 0) + 1
                    if code == 201:
                        break
                    if code == 503 and not r.headers.get("Retry-After"):
                        missing_retry_after += 1
                    if code not in (0, 503):
                        break  # a 500 or anything else: counted and reported, not retried
                    if time.monotonic() > give_up_at:
                        break  # the server itself is gone: the losses check below reports it
                    await asyncio.sleep(0.3)

        async def ready_loop(client: httpx.AsyncClient):
            while not stop_load.is_set():
                try:
                    code = (await client.get("/health/ready", timeout=8)).status_code
                except httpx.TransportError:
                    code = 0
                ready_log.append((time.monotonic(), code))
                await asyncio.sleep(0.1)

        async def fault():
            await asyncio.sleep(3)
            await asyncio.to_thread(pg.stop)
            marks["down"] = time.monotonic()
            await asyncio.sleep(DOWN_SECONDS)
            await asyncio.to_thread(pg.start)
            marks["up"] = time.monotonic()
            await asyncio.sleep(8)
            stop_load.set()

        async def scenario():
            headers = {"Authorization": f"Token {token}"}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=15) as client, \
                    httpx.AsyncClient(base_url=base, timeout=15) as probe:
                await asyncio.gather(fault(), ready_loop(probe), *(client_loop(client, n) for n in range(CLIENTS)))

        # A bound on the whole scenario, so a dead server fails the test instead of hanging CI.
        give_up_at = time.monotonic() + 90
        asyncio.run(asyncio.wait_for(scenario(), 120))

        assert statuses.get(500, 0) == 0, statuses
        assert set(statuses) <= {0, 201, 503}, statuses
        assert statuses.get(503, 0) > 0, f"the outage was not seen by any request: {statuses}"
        assert missing_retry_after == 0
        first_503 = next((t for t, code in ready_log if t >= marks["down"] and code == 503), None)
        assert first_503 is not None and first_503 - marks["down"] <= 5, "readiness did not say 503 within 5 s"
        first_200 = next((t for t, code in ready_log if t >= marks["up"] and code == 200), None)
        assert first_200 is not None and first_200 - marks["up"] <= 10, "readiness did not say 200 within 10 s"

        with psycopg.connect(url) as conn:
            stored = conn.execute("SELECT count(*), count(DISTINCT idempotency_key) FROM calls_call").fetchone()
            recorded = conn.execute("SELECT count(*) FROM calls_call WHERE idempotency_key = ANY(%s)", (keys,)).fetchone()[0]
        assert recorded == len(keys), f"{len(keys) - recorded} calls lost"
        assert stored == (len(keys), len(keys)), f"duplicates: {stored} rows for {len(keys)} keys"

        # No stale connection is handed out after the restart.
        with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=10) as client:
            after = [client.post("/api/v1/calls/", json={"caller_number": "081200000000"},
                                 headers={"Idempotency-Key": uuid.uuid4().hex}).status_code for _ in range(30)]
            after += [client.get("/health/ready").status_code for _ in range(10)]
        assert set(after) <= {200, 201}, after
    finally:
        stop_process(proc)
