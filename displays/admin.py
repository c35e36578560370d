from django.contrib import admin

from displays.models import WallDevice


@admin.register(WallDevice)
class WallDeviceAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at", "link_used_at", "revoked_at")
    readonly_fields = [f.name for f in WallDevice._meta.fields]

    def has_add_permission(self, request):
        return False
