"""Dispatch records in the admin: read-mostly. State changes go through the services
(the lifecycle, transitions, audit and live events), never through admin forms."""

from django.contrib import admin

from dispatch.models import (
    AuditLog,
    DailyDigest,
    Dispatch,
    DispatchTransition,
    Event,
    Incident,
    IncidentNote,
    IncidentTransition,
    Notification,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IncidentTransitionInline(admin.TabularInline):
    model = IncidentTransition
    extra = 0
    can_delete = False
    readonly_fields = ["at", "by", "from_status", "to_status", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


class DispatchTransitionInline(IncidentTransitionInline):
    model = DispatchTransition


class IncidentNoteInline(IncidentTransitionInline):
    model = IncidentNote
    readonly_fields = ["at", "by", "text"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["id", "incident_type", "priority", "status", "kelurahan", "created_at", "closed_at"]
    list_filter = ["status", "priority", "incident_type"]
    search_fields = ["address", "summary"]
    date_hierarchy = "created_at"
    inlines = [IncidentNoteInline, IncidentTransitionInline]


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "incident", "agency", "status", "escalation_level", "dispatched_at", "ack_deadline", "acknowledged_at"]
    list_filter = ["status", "agency", "escalation_level"]
    date_hierarchy = "dispatched_at"
    inlines = [DispatchTransitionInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "dispatch", "recipient", "channel", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind", "channel"]


@admin.register(DailyDigest)
class DailyDigestAdmin(ReadOnlyAdmin):
    list_display = ["day", "recipients", "status", "attempts", "sent_at"]
    list_filter = ["status"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "type", "agency_code", "created_at"]
    list_filter = ["type"]


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "agency_code", "action", "object_type", "object_id", "outcome", "address"]
    list_filter = ["action", "outcome"]
    search_fields = ["username", "object_id"]
    date_hierarchy = "at"
