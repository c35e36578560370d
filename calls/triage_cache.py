"""One suggester per process, rebuilt when it is older than a few minutes,
so it learns from the latest confirmed classifications."""

from __future__ import annotations

import threading
import time


REBUILD_SECONDS = 300
_lock = threading.Lock()
_state: dict = {"suggester": None, "built": 0.0}


def current_suggester():
    from calls.triage import default_suggester

    with _lock:
        if _state["suggester"] is None or time.monotonic() - _state["built"] > REBUILD_SECONDS:
            _state["suggester"] = default_suggester()
            _state["built"] = time.monotonic()
        return _state["suggester"]


def invalidate() -> None:
    with _lock:
        _state["suggester"] = None


def suggest(text: str):
    return current_suggester().suggest(text)
