"""Throwaway services for the fault tests: each test stops, kills or restarts its own.

Never the main PostgreSQL (5432) or Redis (6379): a Redis server and a
PostgreSQL cluster of our own are started on free ports in temporary
directories and removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.faults.support import FakeTelegram
from tests.servers import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _port_from(start: int) -> int:
    """A free port at or above `start` (fault services live on 6390+ / 5440+)."""
    import socket

    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


class ThrowawayRedis:
    def __init__(self, port: int, workdir: str):
        self.port, self.workdir, self.proc = port, workdir, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("throwaway redis did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.resume()
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def pause(self) -> None:
        """Hang the server: connections are still accepted by the kernel, nothing is answered."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


@pytest.fixture
def throwaway_redis():
    workdir = tempfile.mkdtemp(prefix="d112-redis-")
    redis = ThrowawayRedis(_port_from(6390), workdir)
    redis.start()
    yield redis
    redis.stop()
    shutil.rmtree(workdir, ignore_errors=True)


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own, run as the `postgres` OS user."""

    def __init__(self, port: int):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="d112-pg-")
        os.chmod(self.dir, 0o700)
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres OS user
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "log")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
        return subprocess.run(cmd, capture_output=True, text=True, check=check, cwd=self.dir)

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "30",
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", "start",
        )

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop", check=False)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway_postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL binaries not found in {PG_BIN}")
    pg = ThrowawayPostgres(_port_from(5440))
    pg.init()
    pg.start()
    yield pg
    pg.remove()


@pytest.fixture
def operator_token(transactional_db, ref):
    """An operator's API token, committed so server processes see it."""
    from dispatch.tokens import token_create

    from tests.factories import user_with_role

    return token_create(user=user_with_role("operator")).key


@pytest.fixture
def fake_telegram():
    fake = FakeTelegram()
    yield fake
    fake.close()


@pytest.fixture
def broker_for_this_process(settings, throwaway_redis):
    """This process queues Celery tasks on the throwaway broker, as the web process would."""
    from dispatch import notifications
    from dispatch.celery import app

    def fresh_connections():
        app._pool = None
        app.amqp._producer_pool = None
        notifications._publish["paused_until"] = 0.0  # a failed publish pauses this process's publishing

    previous = app.conf.broker_url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = throwaway_redis.url
    fresh_connections()
    yield app
    app.conf.task_always_eager = True
    app.conf.broker_url = previous
    fresh_connections()

