"""The `/ws/live/` sockets the fan-out benchmarks open (live_fanout, disaster_banner): the demo
accounts' tokens, the mix of roles, one client per socket that keeps every frame it receives, and
N of them connected at once for the length of a round."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import common

AGENCY_ACCOUNTS = {"staf_damkar": "DAMKAR", "staf_bpbd": "BPBD", "staf_dinkes": "DINKES", "staf_polresta": "POLRESTA"}


def tokens() -> dict[str, str]:
    """API tokens of the demo accounts (made in-process: supervisors' token logins need a TOTP code).
    Also sets this process up on the bench database."""
    os.environ.update(common.bench_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from dispatch.tokens import token_create

    users = get_user_model().objects.filter(username__in=["operator", "supervisor", *AGENCY_ACCOUNTS])
    return {u.username: token_create(user=u).key for u in users}


def client_roles(n: int) -> list[str]:
    """40% operators, 10% supervisors, 50% agency staff over four agencies."""
    pattern = ["operator"] * 4 + ["supervisor"] + list(AGENCY_ACCOUNTS) + ["staf_damkar"]
    return [pattern[i % len(pattern)] for i in range(n)]


class Client:
    def __init__(self, username: str):
        self.username = username
        self.frames: list[tuple[int, str, str, float, float]] = []  # seq, type, agency, ts, received
        self.ready = asyncio.Event()

    async def run(self, base: str, token: str, stop: asyncio.Event):
        await common.live_socket(base, token, on_hello=lambda hello: self.ready.set(), on_frame=self.frame, stop=stop)

    def frame(self, frame: dict, now: float) -> None:
        if "seq" in frame and "ts" in frame:
            self.frames.append((frame["seq"], frame["type"], frame["data"].get("agency", ""), frame["ts"], now))


@contextlib.asynccontextmanager
async def connected(base: str, toks: dict[str, str], n: int) -> AsyncIterator[list[Client]]:
    """`n` clients (client_roles), each past its hello; closed when the block ends, their frames kept."""
    clients = [Client(name) for name in client_roles(n)]
    stop = asyncio.Event()
    tasks = []
    for c in clients:
        tasks.append(asyncio.create_task(c.run(base, toks[c.username], stop)))
        if len(tasks) % 50 == 0:
            await asyncio.sleep(0.05)  # in batches: a burst of handshakes would time some out
    try:
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 60)
        yield clients
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
