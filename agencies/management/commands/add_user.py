from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Membership
from agencies.services import user_upsert
from dispatch.errors import ServiceError


class Command(BaseCommand):
    help = "Create or update an account with its role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Membership.Role.values)
        parser.add_argument("--agency", default=None, help="Agency code, required for the role agency.")
        parser.add_argument("--password", required=True)

    def handle(self, *args, username, role, agency, password, **options):
        try:
            user_upsert(username=username, role=role, password=password, agency_code=agency)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{username}: {role}{' ' + agency if agency else ''}")
