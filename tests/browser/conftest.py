"""A real ASGI server (uvicorn, HTTP + WebSocket) on the test database, and Chromium."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.servers import start_server, stop_process

# Playwright's sync API keeps an event loop on the main thread; the ORM calls in these tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    """uvicorn serving the project on the test database (PostgreSQL) and Redis."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        pytest.skip("the live server needs PostgreSQL and Redis")
    # The tests run the sweep themselves at chosen moments; a stand-in sweep of the server's own
    # (no Celery beat runs here) would escalate behind their backs.
    proc, base = start_server({"SWEEP_FALLBACK_SECONDS": "0"})
    yield base
    stop_process(proc)


@pytest.fixture(scope="module")
def chromium():
    """Chromium for one test module. Playwright's sync API runs an event loop on the main thread
    while it is open, so it is closed after each module rather than kept for the whole session."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login_at(chromium):
    """Open a fresh browser context on a given server (the session's, or a test's own) and log in as
    a user; returns the page. Extra arguments go to the context (viewport, is_mobile, ...)."""
    contexts = []

    def do_login(base: str, username: str, password: str = PASSWORD, *, locale: str = "id-ID",
                 timezone_id: str = "Asia/Jakarta", **context_options):
        context = chromium.new_context(locale=locale, timezone_id=timezone_id, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.goto(base + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield do_login
    # A page sends what it has not saved yet as it closes (the desk's keepalive save). Landing after
    # the test, it would race the database's flush (a deadlock with its TRUNCATE): offline first,
    # and the server's requests already under way are let finish.
    for context in contexts:
        context.set_offline(True)
    for context in contexts:
        context.close()
    _wait_until_the_server_is_quiet()


@pytest.fixture
def login(login_at, asgi_server):
    """Open a fresh browser context logged in as a user on the session's server; returns the page."""

    def do_login(username: str, password: str, *, locale: str = "id-ID", timezone_id: str = "Asia/Jakarta"):
        return login_at(asgi_server, username, password, locale=locale, timezone_id=timezone_id)

    return do_login


def _wait_until_the_server_is_quiet(timeout: float = 10.0) -> None:
    """No other session of the test database inside a statement or a transaction, three samples running."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3 and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            busy = cursor.fetchone()[0]
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(0.05)
