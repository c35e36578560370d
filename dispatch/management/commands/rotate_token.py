from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dispatch.tokens import token_rotate


class Command(BaseCommand):
    help = (
        "Issue a new API key for an account (the PBX, the hazard feed) and print it once; the account's "
        "older keys keep working for --grace seconds (TOKEN_ROTATION_GRACE_SECONDS), then expire."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--grace", type=int, default=None, help="Seconds the older keys keep working (0: at once).")

    def handle(self, *args, username, grace, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active account {username}")
        if grace is not None and grace < 0:
            raise CommandError("--grace must be 0 or more")
        issued = token_rotate(user=user, grace=None if grace is None else timedelta(seconds=grace))
        self.stderr.write(f"{username}: new key {issued.token.prefix}…, valid until {issued.token.expires_at.isoformat()}")
        self.stdout.write(issued.key)
