"""Transition reasons the system wrote as English text ("call 12 linked", "type a -> b",
"escalated: not acknowledged in time") become a code with its parameters; the words a person typed
stay in `reason`, as typed.

A text is read as the system's only where that table's writer put it on a row of that shape (the
classification on the row that classifies a call, the escalation on a dispatch row no person
wrote, a link on an incident row that changes no status): a person's reason for a close, a
reopening or a cancellation that happens to read like one stays as typed. A text that matches no
pattern stays as it is.

The reverse writes the old English back from the code and its parameters, and clears the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import migrations

BATCH = 2000


def _system(row) -> bool:
    """Written by no person: an import, the sweep, a hazard alert."""
    return row.by_id is None


def _same_status(row) -> bool:
    """A note on the timeline that changes no status: links, a retype, a move, a take-over."""
    return row.from_status == row.to_status


def _opening(row) -> bool:
    return row.from_status == ""


def _any(row) -> bool:
    return True


def _call_type(code: str) -> str | None:
    return None if code == "-" else code


# (pattern, code, the row shapes its writer wrote it on, match -> (params, the person's words)).
Rule = tuple[re.Pattern, str, Callable[[Any], bool], Callable[[re.Match], tuple[dict, str]]]

_INCIDENT: list[Rule] = [
    (re.compile(r"call (\d+)"), "incident_from_call", _opening, lambda m: ({"id": int(m[1])}, "")),
    (re.compile(r"call (\d+) linked"), "call_linked", _same_status, lambda m: ({"id": int(m[1])}, "")),
    (re.compile(r"call (\d+) unlinked"), "call_unlinked", _same_status, lambda m: ({"id": int(m[1])}, "")),
    (re.compile(r"type (\S+) -> (\S+)"), "retyped", _same_status, lambda m: ({"from": m[1], "to": m[2]}, "")),
    (re.compile(r"location: (.*)", re.S), "relocated", _same_status, lambda m: ({"place": m[1]}, "")),
    (re.compile(r"no place: (.*)", re.S), "no_place", lambda row: row.to_status == "dispatched", lambda m: ({}, m[1])),
    (re.compile(r"import"), "imported", _system, lambda m: ({}, "")),
    (re.compile(r"hazard (\S+)"), "hazard", lambda row: _system(row) and _opening(row), lambda m: ({"alert": m[1]}, "")),
]
_DISPATCH: list[Rule] = [
    (re.compile(r"import"), "imported", _system, lambda m: ({}, "")),
    (re.compile(r"import: closed without acknowledgement"), "imported_unacknowledged", _system, lambda m: ({}, "")),
    (re.compile(r"escalated: not acknowledged in time"), "escalated", _system, lambda m: ({}, "")),
    (re.compile(r"escalated: duty officer notified"), "officer_notified", _system, lambda m: ({}, "")),
]
_CALL: list[Rule] = [
    (re.compile(r"(-|[a-z]+) -> ([a-z]+)"), "classified", lambda row: row.to_status == "classified",
     lambda m: ({"from": _call_type(m[1]), "to": m[2]}, "")),
    (re.compile(r"unlinked from incident (\d+); own incident (\d+)"), "own_incident", _same_status,
     lambda m: ({"from": int(m[1]), "to": int(m[2])}, "")),
    (re.compile(r"import"), "imported", _system, lambda m: ({}, "")),
    (re.compile(r"import: (\S+)"), "imported_as", _system, lambda m: ({"type": m[1]}, "")),
    (re.compile(r"late ringing"), "late_ringing", _any, lambda m: ({}, "")),
    (re.compile(r"answered before ringing"), "answered_before_ringing", _any, lambda m: ({}, "")),
    (re.compile(r"answered at extension (.+)"), "answered_at_extension", _any, lambda m: ({"ext": m[1]}, "")),
    (re.compile(r"hangup before answer"), "hangup_before_answer", _any, lambda m: ({}, "")),
    (re.compile(r"hangup"), "hangup", _any, lambda m: ({}, "")),
    (re.compile(r"claimed at desk"), "claimed_at_desk", _any, lambda m: ({}, "")),
    (re.compile(r"taken over from (.+)"), "taken_over", _same_status, lambda m: ({"who": m[1]}, "")),
]
RULES: dict[str, list[Rule]] = {"incident": _INCIDENT, "dispatch": _DISPATCH, "call": _CALL}

# The English each code was written as before, for the reverse.
OLD_TEXT: dict[str, str] = {
    "incident_from_call": "call {id}",
    "call_linked": "call {id} linked",
    "call_unlinked": "call {id} unlinked",
    "retyped": "type {from} -> {to}",
    "relocated": "location: {place}",
    "classified": "{from} -> {to}",
    "own_incident": "unlinked from incident {from}; own incident {to}",
    "imported": "import",
    "imported_unacknowledged": "import: closed without acknowledgement",
    "imported_as": "import: {type}",
    "late_ringing": "late ringing",
    "answered_before_ringing": "answered before ringing",
    "answered_at_extension": "answered at extension {ext}",
    "hangup_before_answer": "hangup before answer",
    "hangup": "hangup",
    "claimed_at_desk": "claimed at desk",
    "taken_over": "taken over from {who}",
    "escalated": "escalated: not acknowledged in time",
    "officer_notified": "escalated: duty officer notified",
    "no_place": "no place: {reason}",
    "hazard": "hazard {alert}",
}


def coded(kind: str, row) -> tuple[str, dict, str] | None:
    """(code, params, the person's words) for a row of `kind` ("incident", "dispatch", "call") whose
    reason is text the system wrote; None for a reason that stays as it is."""
    for pattern, code, shape, read in RULES[kind]:
        match = pattern.fullmatch(row.reason)
        if match and shape(row):
            params, typed = read(match)
            return code, params, typed
    return None


def old_text(code: str, params: dict, typed: str) -> str:
    """The English text a code was stored as before this migration."""
    values = {key: "-" if value is None else value for key, value in params.items()}
    return OLD_TEXT[code].format_map({**values, "reason": typed})


def _models(apps):
    return {
        "incident": apps.get_model("dispatch", "IncidentTransition"),
        "dispatch": apps.get_model("dispatch", "DispatchTransition"),
        "call": apps.get_model("calls", "CallTransition"),
    }


def _in_batches(model, rows, fields: list[str]) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        model.objects.bulk_update(batch, fields)


def text_to_codes(apps, schema_editor) -> None:
    for kind, model in _models(apps).items():
        def converted(model=model, kind=kind):
            for row in model.objects.filter(reason_code="").exclude(reason="").order_by("pk").iterator(chunk_size=BATCH):
                found = coded(kind, row)
                if found is not None:
                    row.reason_code, row.reason_params, row.reason = found
                    yield row

        _in_batches(model, converted(), ["reason_code", "reason_params", "reason"])


def codes_to_text(apps, schema_editor) -> None:
    for model in _models(apps).values():
        def reverted(model=model):
            for row in model.objects.exclude(reason_code="").order_by("pk").iterator(chunk_size=BATCH):
                row.reason = old_text(row.reason_code, row.reason_params or {}, row.reason)
                row.reason_code, row.reason_params = "", {}
                yield row

        _in_batches(model, reverted(), ["reason_code", "reason_params", "reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0014_transition_reason_codes"),
        ("calls", "0005_transition_reason_codes"),
    ]

    operations = [migrations.RunPython(text_to_codes, codes_to_text)]
