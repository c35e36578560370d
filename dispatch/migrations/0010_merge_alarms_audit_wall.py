# Joins the two branches of the dispatch migrations made side by side.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0009_alarms_incident_p1_alarmed_at'),
        ('dispatch', '0009_prod_audit_owner_only'),
        ('dispatch', '0009_wall_alerts_index'),
    ]

    operations = [
    ]
