from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from calls.models import Call, CallType
from calls.selectors import caller_history


class LocationSerializer(serializers.Serializer):
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    kelurahan_code = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")


class CallCreateSerializer(serializers.Serializer):
    caller_number = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=settings.CALL_NOTES_MAX_LENGTH, trim_whitespace=False)
    channel = serializers.ChoiceField(choices=Call.Channel.choices, required=False, default=Call.Channel.VOICE)
    location = LocationSerializer(required=False, allow_null=True)
    external_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=128)


class CallUpdateSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=settings.CALL_NOTES_MAX_LENGTH, trim_whitespace=False)
    location = LocationSerializer(required=False, allow_null=True)


class ClassifySerializer(serializers.Serializer):
    call_type = serializers.ChoiceField(choices=CallType.choices)
    incident_type = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=48)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=settings.CALL_NOTES_MAX_LENGTH, trim_whitespace=False)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class IncidentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident_type = serializers.CharField(source="incident_type.code")
    priority = serializers.IntegerField()
    status = serializers.CharField()


class CallSerializer(serializers.ModelSerializer):
    caller_number = serializers.SerializerMethodField()
    operator = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()
    incident = IncidentBriefSerializer(read_only=True, allow_null=True)
    caller = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "id", "caller_number", "caller_number_raw", "number_invalid", "channel", "status", "operator",
            "received_at", "answered_at", "ended_at", "classified_at", "call_type", "notes", "location",
            "outside_city", "caller_blocked", "external_id", "pbx_call_id", "incident", "caller", "version",
        ]

    def get_caller_number(self, call) -> str | None:
        return call.caller_number

    def get_operator(self, call) -> str | None:
        return call.operator.get_username() if call.operator_id else None

    def get_location(self, call) -> dict:
        return {
            "lat": call.lat,
            "lon": call.lon,
            "address": call.address,
            "kelurahan_code": call.kelurahan.code if call.kelurahan_id else None,
            "kelurahan": call.kelurahan.name if call.kelurahan_id else None,
            "kecamatan": call.kelurahan.kecamatan.name if call.kelurahan_id else None,
        }

    def get_caller(self, call) -> dict | None:
        if not self.context.get("with_history", True):
            return None
        return caller_history(call.caller).summary()
