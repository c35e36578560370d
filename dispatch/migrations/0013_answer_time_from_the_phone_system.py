"""The answer-time roll-up now counts only calls the phone system or an import timed: every day
already rolled up is marked stale, so the next refresh builds it again by the new rule."""

from django.db import migrations
from django.db.models import F


def mark_every_day_stale(apps, schema_editor):
    ReportDay = apps.get_model("dispatch", "ReportDay")
    ReportDay.objects.update(version=F("version") + 1)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0012_merge_desk_request_key")]
    operations = [migrations.RunPython(mark_every_day_stale, migrations.RunPython.noop)]
