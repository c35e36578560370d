from django.contrib import admin

from agencies.models import Agency, DutyRoster, IncidentType, Kecamatan, Kelurahan, Landmark, Membership, RoutingRule, Station


class StationInline(admin.TabularInline):
    model = Station
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "short_name", "phone", "ack_seconds_p1", "ack_seconds_p2", "ack_seconds_p3", "active"]
    list_filter = ["active"]
    search_fields = ["code", "short_name", "name"]
    inlines = [StationInline]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "address", "lat", "lon"]
    list_filter = ["agency"]
    search_fields = ["name", "address"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "extension"]
    list_filter = ["role", "agency"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(DutyRoster)
class DutyRosterAdmin(admin.ModelAdmin):
    list_display = ["date", "shift", "agency", "user", "is_duty_officer"]
    list_filter = ["shift", "agency", "is_duty_officer"]
    date_hierarchy = "date"
    raw_id_fields = ["user"]


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "code"]


@admin.register(Kelurahan)
class KelurahanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kecamatan"]
    list_filter = ["kecamatan"]
    search_fields = ["name", "code"]
    exclude = ["boundary"]


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "label_id", "label_en", "priority"]
    list_filter = ["priority"]
    search_fields = ["code", "label_id", "label_en"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["incident_type", "primary_agency", "updated_at"]
    list_filter = ["primary_agency"]
    filter_horizontal = ["supporting_agencies"]


@admin.register(Landmark)
class LandmarkAdmin(admin.ModelAdmin):
    """Places callers name; the desk offers them as the location (agencies/places.py reads them again within a minute)."""

    list_display = ["name", "aliases", "kelurahan", "lat", "lon"]
    search_fields = ["name"]
    list_filter = ["kelurahan__kecamatan"]

    def save_model(self, request, obj, form, change):
        from agencies.geo import kelurahan_at
        from agencies.places import reset_places

        if obj.kelurahan_id is None:
            obj.kelurahan = kelurahan_at(obj.lat, obj.lon)  # left empty: the boundary the point falls in
        super().save_model(request, obj, form, change)
        reset_places()
