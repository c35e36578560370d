from django.contrib import admin

from hazards.models import DisasterPeriod, DisasterScript, FeedSource, HazardAlert, HazardThresholds


@admin.register(HazardThresholds)
class HazardThresholdsAdmin(admin.ModelAdmin):
    list_display = ("felt_mmi_min", "magnitude_min", "radius_km", "tsunami_radius_km")

    def has_add_permission(self, request):
        return not HazardThresholds.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DisasterScript)
class DisasterScriptAdmin(admin.ModelAdmin):
    list_display = ("kind", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        from hazards.services import script_update

        script_update(kind=obj.kind, text=obj.text, user=request.user)


@admin.register(HazardAlert)
class HazardAlertAdmin(admin.ModelAdmin):
    list_display = ("identifier", "msg_type", "sent", "magnitude", "distance_km", "mmi_bengkulu", "tsunami_level", "kind")
    list_filter = ("kind", "msg_type", "source")
    search_fields = ("identifier", "area", "headline")

    def has_change_permission(self, request, obj=None):
        return False  # alerts are kept as received


@admin.register(DisasterPeriod)
class DisasterPeriodAdmin(admin.ModelAdmin):
    list_display = ("started_at", "kind", "alert", "active", "ended_at", "end_reason", "ended_by")

    def has_change_permission(self, request, obj=None):
        return False  # ended on the disaster board (audited)


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = ("url", "polled_at", "ok", "error", "items_stored")
    readonly_fields = ("polled_at", "ok", "error", "items_stored")
