"""Fixtures for the hazards tests: the published formats as files, moved to a chosen moment, and a
local HTTP server that serves them to the poller."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.stub_http import StubServer

FIXTURES = Path(__file__).parent / "fixtures"
# The moment the fixtures describe: BMKG's 22:10:56 WIB message of 15 April 2023, a minute later.
FIXTURE_NOW = "2023-04-15T15:12:00+00:00"
WIB = timezone(timedelta(hours=7))


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def cap_at(name: str, *, sent: datetime, tag: str = "", expires_in: timedelta = timedelta(hours=6)) -> bytes:
    """A CAP fixture as if sent at `sent`: its times moved there (WIB offset, as BMKG writes them),
    and `tag` appended to its identifiers and references so several tests' messages never meet."""
    text = fixture_bytes(name).decode()
    stamp = sent.astimezone(WIB).strftime("%Y-%m-%dT%H:%M:%S+07:00")
    text = re.sub(r"<(sent|effective)>[^<]+</", lambda m: f"<{m.group(1)}>{stamp}</", text)
    text = re.sub(r"<expires>[^<]+</", f"<expires>{(sent + expires_in).astimezone(WIB):%Y-%m-%dT%H:%M:%S+07:00}</", text)
    if tag:
        text = re.sub(r"(Indonesia-InaTEWS-[a-z]+-\d+)", rf"\1-{tag}", text)
    return text.encode()


@pytest.fixture
def feed_user(ref, make_user):
    return make_user("feed")


@pytest.fixture
def bpbd_staff(ref, make_user):
    return make_user("agency", agency="BPBD")


class FeedServer(StubServer):
    """Serves `routes[path] = (status, body, delay_seconds)`; records the paths asked."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, float]] = {}
        self.asked: list[str] = []
        super().__init__(self._answer)

    def _answer(self, request) -> tuple[int, dict[str, str], bytes]:
        self.asked.append(request.path)
        status, body, delay = self.routes.get(request.path, (404, b"not found", 0))
        if delay:
            time.sleep(delay)
        return status, {"Content-Type": "application/json"}, body

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.close()
