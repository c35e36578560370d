"""The reports' records in the admin: read-only."""

from django.contrib import admin

from dispatch.admin import ReadOnlyAdmin
from reports.models import DailyDigest


@admin.register(DailyDigest)
class DailyDigestAdmin(ReadOnlyAdmin):
    list_display = ["day", "recipients", "status", "attempts", "sent_at"]
    list_filter = ["status"]
