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


def suggestion_answer(text: str) -> dict:
    """The call desk's suggestion for the notes so far.

    `incident_type` (with `primary_agency` and `agencies`) is filled in only
    when the suggestion is an emergency at least `TRIAGE_PREFILL_THRESHOLD`
    sure of its type; `suggested_incident_type` is the best guess either way,
    and `candidates` the top three types, each with its label in the
    request's language, lead agency and confidence, for the operator to pick.
    """
    from django.conf import settings
    from django.utils.translation import get_language

    from calls.triage import PREFILL_THRESHOLD

    suggester = current_suggester()
    suggestion = suggester.suggest(text)
    threshold = float(getattr(settings, "TRIAGE_PREFILL_THRESHOLD", PREFILL_THRESHOLD))
    prefill = suggestion.call_type == "emergency" and suggestion.incident_type is not None and suggestion.confidence >= threshold
    label_key = "label_en" if (get_language() or "").startswith("en") else "label_id"
    answer = suggestion.as_dict()
    answer.update(
        suggested_incident_type=suggestion.incident_type,
        prefill=prefill,
        prefill_threshold=threshold,
        incident_types=list(suggestion.incident_types),
        candidates=[
            {
                "incident_type": code,
                "label": suggester.incidents.get(code, {}).get(label_key) or code,
                "primary_agency": suggester.routing.get(code, (None, []))[0],
                "confidence": confidence,
            }
            for code, confidence in suggestion.candidates
        ],
    )
    if not prefill:
        answer.update(incident_type=None, primary_agency=None, agencies=[])
    return answer
