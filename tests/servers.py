"""Real server processes for tests that cross process boundaries: uvicorn on the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from dispatch.server import uvicorn_command

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def current_database_url() -> str:
    """The URL of the database pytest-django set up (test_<name>)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def start_server(extra_env: dict | None = None, workers: int = 1, *, database_url: str | None = None):
    """Start uvicorn serving the project; returns (process, base URL). Stop it with `stop_process`."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url or current_database_url(), PORT=str(port), **(extra_env or {}))
    # The test process may relax Django's async-safety check for Playwright; a server never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    proc = subprocess.Popen(uvicorn_command(host="127.0.0.1", port=port, workers=workers, log_level="warning"), cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/health/live", proc)
    except Exception:
        stop_process(proc)
        raise
    return proc, base


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# The production setting for ASGI: a bounded psycopg pool per process. Without it, each request's
# thread keeps its own persistent connection and a burst of ~100 requests exhausts max_connections.
POOLED = {"DB_POOL": "1", "DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "8"}
