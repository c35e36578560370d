"""Dispatch records in the admin: read-mostly. State changes go through the services
(the lifecycle, transitions, audit and live events), never through admin forms."""

from django.contrib import admin

from dispatch.models import (
    ApiToken,
    AuditLog,
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
    readonly_fields = ["at", "by", "from_status", "to_status", "reason_code", "reason_params", "reason"]

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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: who, since when, until when. Only the key's prefix is known; keys are issued by the
    token endpoint and `manage.py rotate_token`, so the admin can only revoke (delete) a token."""

    list_display = ["prefix", "user", "created_at", "expires_at"]
    list_filter = ["user"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = ["prefix", "user", "created_at", "expires_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _hide_plain_key_tokens() -> None:
    """DRF's token admin shows whole keys; the plain-key table is no longer used (dispatch.ApiToken)."""
    from rest_framework.authtoken.models import Token, TokenProxy

    for model in (Token, TokenProxy):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_hide_plain_key_tokens()
