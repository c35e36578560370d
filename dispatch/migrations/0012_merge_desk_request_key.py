# Joins the desk's dispatch request key with the other dispatch branches.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0009_desk_dispatch_request_key'),
        ('dispatch', '0011_merge_auth_tokens'),
    ]

    operations = [
    ]
