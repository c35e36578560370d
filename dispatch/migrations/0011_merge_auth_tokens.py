# Joins the token migrations with the other dispatch branches.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0010_auth_hash_existing_tokens'),
        ('dispatch', '0010_merge_alarms_audit_wall'),
    ]

    operations = [
    ]
