"""The reports' six tables now belong to the `reports` app (reports/migrations/0001_initial.py).

State only: the tables keep their names and rows; nothing is copied or dropped."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0015_transition_reasons_from_text'),
        ('reports', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='amendment',
                    name='by',
                ),
                migrations.RemoveField(
                    model_name='amendment',
                    name='signoff',
                ),
                migrations.DeleteModel(
                    name='DailyDigest',
                ),
                migrations.RemoveField(
                    model_name='daysignoff',
                    name='signed_by',
                ),
                migrations.DeleteModel(
                    name='ReportDay',
                ),
                migrations.DeleteModel(
                    name='ReportDayAnswerTime',
                ),
                migrations.RemoveField(
                    model_name='reportdaycalls',
                    name='operator',
                ),
                migrations.DeleteModel(
                    name='Amendment',
                ),
                migrations.DeleteModel(
                    name='DaySignoff',
                ),
                migrations.DeleteModel(
                    name='ReportDayCalls',
                ),
            ],
        ),
    ]
