"""`python manage.py import_calls FILE.csv`: load a historical call log (see calls/importer.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from calls.importer import COLUMNS, import_calls


class Command(BaseCommand):
    help = "Load a historical call log CSV (columns: " + ", ".join(COLUMNS) + "). Idempotent by external_id."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, with a header row")

    def handle(self, *args, **options):
        try:
            with open(options["file"], newline="", encoding="utf-8-sig") as stream:
                result = import_calls(stream)
        except OSError as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from error
        for line, message in result.errors:
            self.stderr.write(f"line {line}: {message}")
        self.stdout.write(f"created {result.created}, already loaded {result.skipped}, rejected {len(result.errors)}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} row(s) rejected; the other rows were loaded")
