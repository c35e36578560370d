"""The reasons on transitions, told in the reader's language.

A transition stores why it happened as a code (`Reason`) with its parameters, and the words a
person typed (a cancellation, a reopening) as typed. `reason_text` words the code at display
time, in the active language, with the sentence that is the code's label; a person's words are
shown exactly as they were typed, never re-worded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dispatch.labels import call_type_label, incident_type_label
from dispatch.models import Reason


def _call_type(code: Any) -> str:
    return call_type_label(code) if code else "—"


# The parameters that are codes, by reason: each named by its label in the active language.
_WORDED: dict[str, dict[str, Callable[[Any], str]]] = {
    Reason.RETYPED.value: {"from": incident_type_label, "to": incident_type_label},
    Reason.CLASSIFIED.value: {"from": _call_type, "to": _call_type},
    Reason.IMPORTED_AS.value: {"type": _call_type},
}


class _Params(dict):
    """A code's parameters for its sentence; one the row lacks reads as "?" rather than failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def reason_text(code: str, params: Mapping[str, Any] | None, typed: str = "") -> str:
    """A transition's reason in the active language: its code's sentence (with the words a person
    typed where the sentence has a place for them), or those words alone, as typed."""
    if not code:
        return typed
    if code not in Reason.values:  # a code this version does not know: shown as stored
        return " ".join(filter(None, [code, typed]))
    message = str(Reason(code).label)
    values = _Params({name: str(value) for name, value in (params or {}).items()})
    for name, word in _WORDED.get(code, {}).items():
        values[name] = word((params or {}).get(name))
    values["reason"] = typed
    text = message % values
    if typed and "%(reason)s" not in message:
        text = f"{text}: {typed}"
    return text
