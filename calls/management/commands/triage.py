"""`python manage.py triage < notes.jsonl`: suggest call type, incident type and agencies for notes.

Each input line is `{"id": ..., "text": "..."}`; each output line, in input order, is
`{"id", "call_type", "incident_type", "primary_agency", "agencies", "confidence"}`.
A line that cannot be read gives `{"id": <id or null>, "error": "..."}` and the rest go on.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand

from calls.triage import Suggester, default_suggester


class Command(BaseCommand):
    help = "Read JSON lines {id, text} on stdin and write one triage suggestion per line on stdout."
    stealth_options = ("stdin",)

    def handle(self, *args: Any, **options: Any) -> None:
        stream: TextIO = options.get("stdin") or sys.stdin
        suggester: Suggester | None = None
        for raw in stream:
            if not raw.strip():
                continue
            note_id, text, error = _parse(raw)
            if error is not None:
                self._emit({"id": note_id, "error": error})
                continue
            if suggester is None:
                suggester = default_suggester()
            try:
                suggestion = suggester.suggest(text)
            except Exception as exc:  # one bad note must not stop the batch
                self._emit({"id": note_id, "error": f"suggestion failed: {exc}"})
                continue
            self._emit({"id": note_id, **suggestion.as_dict()})

    def _emit(self, row: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(row, ensure_ascii=False))
        self.stdout.flush()


def _parse(raw: str) -> tuple[Any, str, str | None]:
    """The note's id, its text and an error message (None when the line is usable)."""
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, "", f"invalid JSON: {exc.msg}"
    if not isinstance(row, dict):
        return None, "", "expected a JSON object with id and text"
    note_id = row.get("id")
    text = row.get("text")
    if not isinstance(text, str):
        return note_id, "", "missing or non-string text"
    return note_id, text, None
