from __future__ import annotations

import copy

from django.conf import settings
from rest_framework import serializers

from agencies.geo import Location

from calls.models import Call, CallType
from calls.selectors import CallerHistory, caller_history


# A request body's serializer whose declared fields are copied shallowly for each instance.
#
# DRF deep-copies the declared fields for every serializer it makes, building each field and its
# validators again: about 5 % of the CPU of recording a call. Nothing changes a declared field
# after its class is built, and `bind` only sets attributes of the copy (its name, parent and
# source), so one shallow copy per instance keeps instances apart as well. A nested serializer's
# copy builds its own fields, bound to that copy. A field built around a child field (a list or
# a dict of them) binds the child when it is made, so it is still copied deeply.
# (A comment, not a docstring: the API schema would show a docstring as every subclass's description.)
class RequestSerializer(serializers.Serializer):
    def get_fields(self):
        fields = {}
        for name, field in self._declared_fields.items():
            if hasattr(field, "child") or hasattr(field, "child_relation"):
                fields[name] = copy.deepcopy(field)
                continue
            clone = copy.copy(field)
            clone.__dict__.pop("fields", None)  # a nested serializer's own, if one was ever built
            fields[name] = clone
        return fields


class CoordinateField(serializers.FloatField):
    """A float that is not a boolean: DRF's FloatField reads `true` as 1.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """Text that arrived as a JSON string: DRF's CharField turns a number into its digits."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LocationSerializer(RequestSerializer):
    lat = CoordinateField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = CoordinateField(required=False, allow_null=True, min_value=-180, max_value=180)
    address = TextField(required=False, allow_blank=True, max_length=300, default="")
    kelurahan_code = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")


def location_from(data) -> Location | None:
    """A LocationSerializer's validated data as the services' Location (None for none)."""
    if not data:
        return None
    return Location(
        lat=data.get("lat"), lon=data.get("lon"), address=data.get("address", ""), kelurahan_code=data.get("kelurahan_code", "")
    )


class CallCreateSerializer(RequestSerializer):
    caller_number = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    notes = TextField(required=False, allow_blank=True, default="", max_length=settings.CALL_NOTES_MAX_LENGTH, trim_whitespace=False)
    channel = serializers.ChoiceField(choices=Call.Channel.choices, required=False, default=Call.Channel.VOICE)
    location = LocationSerializer(required=False, allow_null=True)
    external_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=128)


class CallUpdateSerializer(RequestSerializer):
    notes = TextField(required=False, allow_blank=True, max_length=settings.CALL_NOTES_MAX_LENGTH, trim_whitespace=False)
    location = LocationSerializer(required=False, allow_null=True)


class ClassifySerializer(RequestSerializer):
    call_type = serializers.ChoiceField(choices=CallType.choices)
    incident_type = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=48)
    notes = TextField(required=False, allow_blank=True, max_length=settings.CALL_NOTES_MAX_LENGTH, trim_whitespace=False)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class TakeOverSerializer(RequestSerializer):
    from_operator = serializers.CharField(
        required=False, max_length=150, help_text="The operator the taker saw on the call; 409 if someone else has it now"
    )


class IncidentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident_type = serializers.CharField(source="incident_type.code")
    priority = serializers.IntegerField()
    status = serializers.CharField()


class CallSerializer(serializers.ModelSerializer):
    """A call as the API answers it.

    The declared fields describe the answer for the schema; `to_representation`
    builds it directly (`call_representation`), because the intake answers
    every call with it and DRF's per-field machinery is the larger part of
    that answer's cost. The schema fuzz tests check the two agree.
    """

    caller_number = serializers.CharField(read_only=True, allow_null=True, help_text="E.164, or null")
    operator = serializers.CharField(read_only=True, allow_null=True)
    location = serializers.DictField(read_only=True)
    incident = IncidentBriefSerializer(read_only=True, allow_null=True)
    caller = serializers.DictField(read_only=True, allow_null=True, help_text="The caller's history")
    touched_at = serializers.DateTimeField(
        read_only=True, help_text="The operator's last edit or take-over, else the answer, else the arrival"
    )

    class Meta:
        model = Call
        fields = [
            "id", "caller_number", "caller_number_raw", "number_invalid", "channel", "status", "operator",
            "received_at", "answered_at", "ended_at", "classified_at", "touched_at", "call_type", "notes", "location",
            "outside_city", "caller_blocked", "external_id", "pbx_call_id", "incident", "caller", "version",
        ]

    def to_representation(self, call) -> dict:
        history = self.context.get("history")
        if history is None and self.context.get("with_history", True):
            history = caller_history(call.caller)
        return call_representation(call, history)


_datetime = serializers.DateTimeField()


def _time(value) -> str | None:
    return _datetime.to_representation(value) if value is not None else None


def call_representation(call: Call, history: CallerHistory | None) -> dict:
    """The API's call object; `caller` is the caller's history summary, or null without one."""
    kelurahan = call.kelurahan if call.kelurahan_id else None
    incident = call.incident if call.incident_id else None
    return {
        "id": call.pk,
        "caller_number": call.caller_number,
        "caller_number_raw": call.caller_number_raw,
        "number_invalid": call.number_invalid,
        "channel": call.channel,
        "status": call.status,
        "operator": call.operator.get_username() if call.operator_id else None,
        "received_at": _time(call.received_at),
        "answered_at": _time(call.answered_at),
        "ended_at": _time(call.ended_at),
        "classified_at": _time(call.classified_at),
        "touched_at": _time(call.last_touched_at),
        "call_type": call.call_type,
        "notes": call.notes,
        "location": {
            "lat": call.lat,
            "lon": call.lon,
            "address": call.address,
            "kelurahan_code": kelurahan.code if kelurahan else None,
            "kelurahan": kelurahan.name if kelurahan else None,
            "kecamatan": kelurahan.kecamatan.name if kelurahan else None,
        },
        "outside_city": call.outside_city,
        "caller_blocked": call.caller_blocked,
        "external_id": call.external_id,
        "pbx_call_id": call.pbx_call_id,
        "incident": (
            {
                "id": incident.pk,
                "incident_type": incident.incident_type.code,
                "priority": incident.priority,
                "status": incident.status,
            }
            if incident
            else None
        ),
        "caller": history.summary() if history is not None else None,
        "version": call.version,
    }
