from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.retention import callers_pseudonymise


class Command(BaseCommand):
    help = "Replace caller numbers whose last call is older than N days by a keyed pseudonym (UU PDP 27/2022)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None, help="default: settings.RETENTION_DAYS")

    def handle(self, *args, older_than_days, **options):
        days = settings.RETENTION_DAYS if older_than_days is None else older_than_days
        if days < 1:
            raise CommandError("--older-than-days must be at least 1")
        count = callers_pseudonymise(older_than_days=days)
        self.stdout.write(f"pseudonymised {count} caller(s) with no call in the last {days} days")
