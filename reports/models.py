"""The reports' own tables: the daily digest, day sign-offs and their amendments, and the daily roll-up.

The tables keep the names they were created with under `dispatch` (a state-only move: no data copied)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dispatch.models import Delivery


class DailyDigest(Delivery):
    """The supervisors' e-mail digest of one WIB day, created and sent by the sweep from 00:05 WIB the next day."""

    day = models.DateField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "dispatch_dailydigest"
        ordering = ["-day"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "sending", "sent", "failed"]), name="dispatch_dailydigest_status_valid"),
            # One digest per day: the sweep's get_or_create of the due day.
            models.UniqueConstraint(fields=["day"], name="dispatch_dailydigest_unique_day"),
        ]


class DaySignoff(models.Model):
    """A supervisor's sign-off of one WIB day of the call log; later changes become Amendments."""

    day = models.DateField(help_text=_("The WIB day signed off."))
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        db_table = "dispatch_daysignoff"
        ordering = ["-day"]
        constraints = [
            # A day is signed off once.
            models.UniqueConstraint(fields=["day"], name="dispatch_daysignoff_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} ({self.signed_by})"


class Amendment(models.Model):
    """A change made to a day after it was signed off: who, when, what. Never silent."""

    day = models.DateField()
    signoff = models.ForeignKey(DaySignoff, on_delete=models.PROTECT, related_name="amendments")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "dispatch_amendment"
        ordering = ["at", "id"]
        indexes = [
            # The day's page lists its amendments.
            models.Index(fields=["day", "at"], name="dispatch_amendment_day"),
        ]


class ReportDay(models.Model):
    """One complete WIB day of the reports' roll-up (reports/rollups.py) and whether its rows are current.

    `version` counts the changes made to the day's calls after the day ended (the services that make
    them call `rollup_mark_stale`); the day's ReportDayCalls and ReportDayAnswerTime rows are current
    while `built_version` equals it."""

    day = models.DateField()
    version = models.PositiveIntegerField(default=0)
    built_version = models.PositiveIntegerField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dispatch_reportday"
        ordering = ["day"]
        constraints = [
            # One row per day: marking a day stale is an upsert on it.
            models.UniqueConstraint(fields=["day"], name="dispatch_reportday_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} v{self.version} (built {self.built_version})"


class ReportDayCalls(models.Model):
    """The calls of one complete WIB day, counted per shift, operator and call type."""

    day = models.DateField()
    shift = models.CharField(max_length=8)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )
    call_type = models.CharField(max_length=16, blank=True)
    calls = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()

    class Meta:
        db_table = "dispatch_reportdaycalls"
        constraints = [
            # One row per day, shift, operator (none counts as 0) and call type; period sums read it by day.
            models.UniqueConstraint(
                F("day"), F("shift"), Coalesce(F("operator"), Value(0)), F("call_type"), name="dispatch_reportdaycalls_unique_group"
            ),
            models.CheckConstraint(condition=Q(shift__in=["pagi", "siang", "malam"]), name="dispatch_reportdaycalls_shift_valid"),
            models.CheckConstraint(condition=Q(answered__lte=F("calls")), name="dispatch_reportdaycalls_answered_within_calls"),
        ]


class ReportDayAnswerTime(models.Model):
    """The answered calls of one complete WIB day per answer time in whole seconds, rounded up: a histogram
    from which a period's median, p90 and shares within 15 s / 20 s are computed exactly."""

    day = models.DateField()
    seconds = models.IntegerField()
    calls = models.PositiveIntegerField()

    class Meta:
        db_table = "dispatch_reportdayanswertime"
        constraints = [
            # One row per day and second; period histograms read it by day.
            models.UniqueConstraint(fields=["day", "seconds"], name="dispatch_reportdayanswertime_unique_second"),
        ]
