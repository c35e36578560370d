"""Write the README's list of live events from their definitions (`dispatch/event_types.py`)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dispatch.event_types import ALERT_KINDS, DEFINITIONS, NESTED, Payload

START = "<!-- event_docs: start. Written by `python manage.py event_docs` from dispatch/event_types.py; do not edit. -->"
END = "<!-- event_docs: end -->"
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "dict": "object", "None": "null"}


def _type_name(annotation: str) -> str:
    """`str | None` as `string or null`; a nested payload by its name (its keys are listed below)."""
    return " or ".join(_JSON_TYPES.get(part, f"`{part}`") for part in annotation.replace(" ", "").split("|"))


def _keys(cls: type[Payload], *, leave_out: tuple[str, ...] = ()) -> str:
    return ", ".join(
        f"`{f.name}` {_type_name(f.type)}" for f in dataclasses.fields(cls) if f.name not in leave_out
    ) or "nothing else"


def _doc(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split())


def render() -> str:
    """The Markdown between the README's markers: events, alert kinds, nested objects."""
    lines = [
        START,
        "",
        "| Event | Sent when; received by | `data` keys |",
        "|---|---|---|",
        *(f"| `{t}` | {_doc(cls)} | {_keys(cls)} |" for t, cls in DEFINITIONS.items()),
        "",
        "| `alert` kind | Sent when | Keys besides `kind` and `message` |",
        "|---|---|---|",
        *(f"| `{kind}` | {_doc(cls)} | {_keys(cls, leave_out=('kind', 'message'))} |" for kind, cls in ALERT_KINDS.items()),
        "",
        "| Object | What | Keys |",
        "|---|---|---|",
        *(f"| `{cls.__name__}` | {_doc(cls)} | {_keys(cls)} |" for cls in NESTED),
        "",
        END,
    ]
    return "\n".join(lines)


def with_table(readme: str) -> str:
    """The README with the text between the markers replaced by `render()`."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise CommandError("the README has no event_docs markers")
    return pattern.sub(lambda _match: render(), readme, count=1)


def readme_path() -> Path:
    return Path(settings.BASE_DIR) / "README.md"


class Command(BaseCommand):
    help = "Writes the README's table of live events from dispatch/event_types.py (--check: exit 1 if it is out of date)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the README is out of date")

    def handle(self, *args, check: bool = False, **options):
        path = readme_path()
        current = path.read_text(encoding="utf-8")
        wanted = with_table(current)
        if check:
            if wanted != current:
                raise CommandError("README.md's event table is out of date: run python manage.py event_docs")
            self.stdout.write("README.md's event table is up to date.")
            return
        if wanted != current:
            path.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"README.md: {len(DEFINITIONS)} event types, {len(ALERT_KINDS)} alert kinds.")
