from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.selectors import NearestPost, post_of
from calls.serializers import LocationSerializer, RequestSerializer, TextField
from dispatch.models import Dispatch, Incident, IncidentNote


class IncidentNoteSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = IncidentNote
        fields = ["id", "at", "by", "text"]

    def get_by(self, note) -> str | None:
        return note.by.get_username() if note.by_id else None


class IncidentNoteRequestSerializer(RequestSerializer):
    text = TextField(max_length=IncidentNote.TEXT_MAX_LENGTH, help_text="What the agencies on the incident should know")


class DispatchSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code")
    acknowledged_by = serializers.SerializerMethodField()
    station = serializers.SerializerMethodField()
    incident_id = serializers.IntegerField()
    incident_number = serializers.IntegerField(source="incident_id", help_text="The incident's number, said as 'Kejadian #N'")
    nearest_post = serializers.SerializerMethodField()

    class Meta:
        model = Dispatch
        fields = [
            "id", "incident_id", "incident_number", "agency", "station", "nearest_post", "status", "is_primary", "dispatched_at", "ack_deadline",
            "acknowledged_at", "acknowledged_by", "en_route_at", "on_scene_at", "resolved_at", "declined_at",
            "cancelled_at", "reason", "note", "escalation_level", "escalated_at", "version",
        ]

    def get_acknowledged_by(self, dispatch) -> str | None:
        return dispatch.acknowledged_by.get_username() if dispatch.acknowledged_by_id else None

    def get_station(self, dispatch) -> str | None:
        return dispatch.station.name if dispatch.station_id else None

    @extend_schema_field(serializers.DictField(allow_null=True, help_text='{"id", "name", "distance_m", "approximate"}'))
    def get_nearest_post(self, dispatch) -> dict | None:
        incident = dispatch.incident
        return post_of(dispatch.station if dispatch.station_id else None, incident.lat, incident.lon)


class IncidentSerializer(serializers.ModelSerializer):
    incident_type = serializers.CharField(source="incident_type.code")
    incident_label = serializers.CharField(source="incident_type.label", help_text="The type's name in the language of the request")
    kelurahan = serializers.SerializerMethodField()
    calls = serializers.SerializerMethodField()
    dispatches = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    incident_number = serializers.IntegerField(source="pk", read_only=True, help_text="Said as 'Kejadian #N'")
    suggested_agencies = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "incident_number", "incident_type", "incident_label", "priority", "status", "lat", "lon", "address",
            "kelurahan", "summary", "created_at", "closed_at", "calls", "dispatches", "notes", "suggested_agencies",
            "version",
        ]

    def get_kelurahan(self, incident) -> str | None:
        return incident.kelurahan.name if incident.kelurahan_id else None

    def get_calls(self, incident) -> list[dict]:
        return [
            {"id": c.pk, "caller_number": c.caller_number, "received_at": c.received_at, "notes": c.notes}
            for c in incident.calls.select_related("caller").order_by("received_at")
        ]

    def get_dispatches(self, incident) -> list[dict]:
        qs = self.context.get("dispatches")
        if qs is None:
            qs = incident.dispatches.select_related("agency", "station", "acknowledged_by")
        return DispatchSerializer(qs, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_suggested_agencies(self, incident) -> list[dict]:
        """The routing rule's agencies, primary first, each with its post nearest the incident:
        `{"agency", "is_primary", "live", "nearest_post": {"id", "name", "distance_m", "approximate"} | null}`."""
        from dispatch.selectors import agency_suggestions

        if self.context.get("dispatches") is not None:
            return []  # agency staff see their own dispatches, not the floor's choices
        return [
            {
                "agency": s.agency.code,
                "is_primary": s.is_primary,
                "live": s.live,
                "nearest_post": NearestPost(s.station, s.distance_m).as_dict() if s.station and s.distance_m is not None else None,
            }
            for s in agency_suggestions(incident)
        ]

    @extend_schema_field(IncidentNoteSerializer(many=True))
    def get_notes(self, incident) -> list[dict]:
        return IncidentNoteSerializer(incident.notes.select_related("by"), many=True).data


class DispatchRequestSerializer(RequestSerializer):
    agencies = serializers.ListField(child=serializers.CharField(max_length=16), required=False, allow_empty=True, max_length=14)
    # Required to dispatch a priority-1 incident that has no place at all.
    no_place_reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class StatusSerializer(RequestSerializer):
    status = serializers.ChoiceField(choices=["en_route", "on_scene", "resolved", "declined", "cancelled"])
    note = TextField(required=False, allow_blank=True, max_length=2000, default="")


class CloseSerializer(RequestSerializer):
    reason = TextField(required=False, allow_blank=True, max_length=2000, default="")


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    type = serializers.CharField()
    data = serializers.DictField()


class DuplicateCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="incident.pk")
    incident_type = serializers.CharField(source="incident.incident_type.code")
    incident_label = serializers.CharField(source="incident.incident_type.label", help_text="The type's name in the language of the request")
    priority = serializers.IntegerField(source="incident.priority")
    status = serializers.CharField(source="incident.status")
    address = serializers.CharField(source="incident.address")
    kelurahan = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="incident.created_at")
    distance_m = serializers.FloatField()
    same_type = serializers.BooleanField()

    def get_kelurahan(self, candidate) -> str | None:
        return candidate.incident.kelurahan.name if candidate.incident.kelurahan_id else None


class UnlinkSerializer(RequestSerializer):
    incident_type = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=48)


class IncidentUpdateSerializer(RequestSerializer):
    location = LocationSerializer()
