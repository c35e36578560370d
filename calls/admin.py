"""Calls in the admin: read-mostly (intake and classification go through the services).
Supervisors' settings (the block policy) stay editable."""

from django.contrib import admin

from calls.models import AmlLocation, Block, BlockPolicy, Call, Caller, Callback, QualityReview
from dispatch.admin import ReadOnlyAdmin


@admin.register(Caller)
class CallerAdmin(ReadOnlyAdmin):
    list_display = ["number", "first_seen_at", "pseudonymised_at"]
    search_fields = ["number"]


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["id", "caller", "status", "call_type", "incident", "operator", "received_at"]
    list_filter = ["status", "call_type", "channel"]
    search_fields = ["caller__number", "notes", "external_id"]
    date_hierarchy = "received_at"


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ["caller", "level", "starts_at", "expires_at", "lifted_at"]
    list_filter = ["level"]


@admin.register(BlockPolicy)
class BlockPolicyAdmin(admin.ModelAdmin):
    list_display = ["window_days", "threshold", "ladder_reset_days", "updated_at"]


@admin.register(AmlLocation)
class AmlLocationAdmin(ReadOnlyAdmin):
    list_display = ["caller_number", "lat", "lon", "radius_m", "source", "received_at", "call"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    list_display = ["call", "deadline", "done_at", "outcome"]


@admin.register(QualityReview)
class QualityReviewAdmin(ReadOnlyAdmin):
    list_display = ["call", "sampled_at", "reviewed_at", "original_type", "corrected_type"]
