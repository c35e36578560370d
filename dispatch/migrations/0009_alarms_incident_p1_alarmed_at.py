from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0008_incident_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="p1_alarmed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
