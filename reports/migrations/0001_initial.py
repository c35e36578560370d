"""The reports' tables, created under `dispatch` and moved here by state only: they keep their names
(`dispatch_...`) and rows. The content types follow, so permissions and admin history stay attached."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


MOVED = ["dailydigest", "daysignoff", "amendment", "reportday", "reportdaycalls", "reportdayanswertime"]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="reports", model=model).exists():
            ContentType.objects.filter(app_label="dispatch", model=model).update(app_label="reports")


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="dispatch", model=model).exists():
            ContentType.objects.filter(app_label="reports", model=model).update(app_label="dispatch")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('dispatch', '0013_answer_time_from_the_phone_system'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='DailyDigest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Menunggu'), ('sending', 'Mengirim'), ('sent', 'Terkirim'), ('failed', 'Gagal')], default='pending', max_length=16)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('claimed_until', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField()),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('day', models.DateField()),
                        ('recipients', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'dispatch_dailydigest',
                        'ordering': ['-day'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'sending', 'sent', 'failed'])), name='dispatch_dailydigest_status_valid'), models.UniqueConstraint(fields=('day',), name='dispatch_dailydigest_unique_day')],
                    },
                ),
                migrations.CreateModel(
                    name='DaySignoff',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(help_text='The WIB day signed off.')),
                        ('signed_at', models.DateTimeField()),
                        ('note', models.TextField(blank=True)),
                        ('signed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'dispatch_daysignoff',
                        'ordering': ['-day'],
                    },
                ),
                migrations.CreateModel(
                    name='Amendment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('at', models.DateTimeField()),
                        ('action', models.CharField(max_length=64)),
                        ('object_type', models.CharField(max_length=32)),
                        ('object_id', models.CharField(max_length=64)),
                        ('detail', models.JSONField(blank=True, default=dict)),
                        ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('signoff', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='amendments', to='reports.daysignoff')),
                    ],
                    options={
                        'db_table': 'dispatch_amendment',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='ReportDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('version', models.PositiveIntegerField(default=0)),
                        ('built_version', models.PositiveIntegerField(blank=True, null=True)),
                        ('built_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'dispatch_reportday',
                        'ordering': ['day'],
                        'constraints': [models.UniqueConstraint(fields=('day',), name='dispatch_reportday_unique_day')],
                    },
                ),
                migrations.CreateModel(
                    name='ReportDayAnswerTime',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('seconds', models.IntegerField()),
                        ('calls', models.PositiveIntegerField()),
                    ],
                    options={
                        'db_table': 'dispatch_reportdayanswertime',
                        'constraints': [models.UniqueConstraint(fields=('day', 'seconds'), name='dispatch_reportdayanswertime_unique_second')],
                    },
                ),
                migrations.CreateModel(
                    name='ReportDayCalls',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('shift', models.CharField(max_length=8)),
                        ('call_type', models.CharField(blank=True, max_length=16)),
                        ('calls', models.PositiveIntegerField()),
                        ('answered', models.PositiveIntegerField()),
                        ('operator', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'dispatch_reportdaycalls',
                    },
                ),
                migrations.AddConstraint(
                    model_name='daysignoff',
                    constraint=models.UniqueConstraint(fields=('day',), name='dispatch_daysignoff_unique_day'),
                ),
                migrations.AddIndex(
                    model_name='amendment',
                    index=models.Index(fields=['day', 'at'], name='dispatch_amendment_day'),
                ),
                migrations.AddConstraint(
                    model_name='reportdaycalls',
                    constraint=models.UniqueConstraint(models.F('day'), models.F('shift'), django.db.models.functions.comparison.Coalesce(models.F('operator'), models.Value(0)), models.F('call_type'), name='dispatch_reportdaycalls_unique_group'),
                ),
                migrations.AddConstraint(
                    model_name='reportdaycalls',
                    constraint=models.CheckConstraint(condition=models.Q(('shift__in', ['pagi', 'siang', 'malam'])), name='dispatch_reportdaycalls_shift_valid'),
                ),
                migrations.AddConstraint(
                    model_name='reportdaycalls',
                    constraint=models.CheckConstraint(condition=models.Q(('answered__lte', models.F('calls'))), name='dispatch_reportdaycalls_answered_within_calls'),
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
