"""One suggester per process. It is rebuilt in the background when older than a
few minutes, so it learns from the latest confirmed classifications without
ever making an operator's request wait for the rebuild."""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)
REBUILD_SECONDS = 300
_lock = threading.Lock()
_state: dict = {"suggester": None, "built": 0.0, "rebuilding": False}


def _rebuild() -> None:
    from django.db import close_old_connections

    from calls.triage import default_suggester

    try:
        suggester = default_suggester()
        with _lock:
            _state.update(suggester=suggester, built=time.monotonic())
    except Exception:  # noqa: BLE001 - keep serving the previous suggester
        logger.exception("triage suggester rebuild failed")
    finally:
        with _lock:
            _state["rebuilding"] = False
        close_old_connections()


def current_suggester():
    """The current suggester; the first call builds it, later ones refresh it in the background."""
    with _lock:
        suggester = _state["suggester"]
        stale = time.monotonic() - _state["built"] > REBUILD_SECONDS
        start_refresh = suggester is not None and stale and not _state["rebuilding"]
        if start_refresh:
            _state["rebuilding"] = True
    if suggester is None:
        from calls.triage import default_suggester

        suggester = default_suggester()
        with _lock:
            _state.update(suggester=suggester, built=time.monotonic())
    elif start_refresh:
        threading.Thread(target=_rebuild, name="triage-rebuild", daemon=True).start()
    return suggester


def invalidate() -> None:
    with _lock:
        _state.update(suggester=None, built=0.0)


def suggest(text: str):
    return current_suggester().suggest(text)
