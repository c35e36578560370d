"""A real ASGI server (uvicorn, HTTP + WebSocket) on the test database, and Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

# Playwright's sync API keeps an event loop on the main thread; the ORM calls in these tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_server(extra_env: dict | None = None, workers: int = 1):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=_database_url(), PORT=str(port), **(extra_env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "dispatch.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--lifespan", "on", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(base + "/health/live", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    """uvicorn serving the project on the test database (PostgreSQL) and Redis."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        pytest.skip("the live server needs PostgreSQL and Redis")
    proc, base = start_server()
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login(chromium, asgi_server):
    """Open a fresh browser context logged in as a user; returns the page."""
    contexts = []

    def do_login(username: str, password: str, *, locale: str = "id-ID"):
        context = chromium.new_context(locale=locale, timezone_id="Asia/Jakarta")
        contexts.append(context)
        page = context.new_page()
        page.goto(asgi_server + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield do_login
    for context in contexts:
        context.close()
