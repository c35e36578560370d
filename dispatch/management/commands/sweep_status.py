"""When the sweep last finished, through the task queue and in a web process standing in.

Exits 1 when no task sweep has finished within --max-age seconds: beat, Redis or the worker is
down (web processes then sweep themselves, see dispatch.sweep). The compose file uses it as the
beat service's health check, so the whole chain beat → Redis → worker → database is checked."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dispatch.shifts import WIB
from dispatch.sweep import sweep_marks


class Command(BaseCommand):
    help = "Show when the sweep last finished; fail if the task queue has not swept within --max-age seconds."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=60, help="seconds (default 60)")

    def handle(self, *args, max_age: int, **options):
        now = timezone.now()
        last = sweep_marks()
        for runner, name in (("task", "task queue"), ("web", "web stand-in")):
            at = last.get(runner)
            when = f"{at.astimezone(WIB):%Y-%m-%d %H:%M:%S} WIB ({(now - at).total_seconds():.0f} s ago)" if at else "never"
            self.stdout.write(f"{name}: {when}")
        task = last.get("task")
        if task is None or now - task > timedelta(seconds=max_age):
            raise CommandError(f"no sweep through the task queue in the last {max_age} s (beat, Redis or the worker down?)")
