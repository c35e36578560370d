from django.core.management.base import BaseCommand

from agencies.models import Agency
from agencies.services import agency_admin_upsert, user_upsert

DEMO_PASSWORD = "bengkulu-112-demo"


class Command(BaseCommand):
    help = "Create the demo accounts: one operator, one supervisor, one staff account per agency, one agency admin (Damkar)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, password, **options):
        rows = [("operator", "operator", None), ("supervisor", "supervisor", None), ("admin", "admin", None), ("pbx", "pbx", None)]
        rows += [(f"staf_{a.code.lower()}", "agency", a.code) for a in Agency.objects.order_by("code")]
        for username, role, agency in rows:
            user_upsert(username=username, role=role, password=password, agency_code=agency)
        # Damkar's staff who may also place Damkar's posts on the map.
        agency_admin_upsert(username="admin_damkar", agency_code="DAMKAR", password=password)
        self.stdout.write("Demo accounts (password: %s):" % password)
        self.stdout.write("  operator, supervisor, admin, pbx, " + ", ".join(r[0] for r in rows[4:]) + ", admin_damkar")
