# Joins the two branches of the agencies migrations made side by side.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0003_disaster_feed_role'),
        ('agencies', '0003_stations_sources'),
    ]

    operations = [
    ]
