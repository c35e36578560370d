from django.core.management.base import BaseCommand

from agencies.loader import load_bengkulu


class Command(BaseCommand):
    help = "Load Kota Bengkulu's agencies, kecamatan, kelurahan and incident types (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--overwrite-routing", action="store_true", help="Reset routing rules to the taxonomy's defaults.")

    def handle(self, *args, **options):
        counts = load_bengkulu(overwrite_routing=options["overwrite_routing"])
        self.stdout.write(", ".join(f"{v} {k}" for k, v in counts.items()))
