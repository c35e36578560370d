"""The phone system's API (PBX events, AML) and the desk's: claiming ringing calls, AML fixes, call-backs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import aml as aml_service
from calls import callbacks as callback_service
from calls import telephony
from calls.api import call_for_user, integration_call_representation
from calls.models import Callback, TelephonyEvent
from calls.selectors import caller_history
from calls.serializers import CallSerializer, RequestSerializer
from dispatch.errors import InvalidInput
from dispatch.permissions import IsFloor, IsPbx

logger = logging.getLogger(__name__)


@extend_schema_field(OpenApiTypes.STR)
class PbxTimeField(serializers.Field):
    """ISO 8601 (a time without offset is WIB) or Unix epoch seconds, as Asterisk's ${EPOCH} gives."""

    default_error_messages = {"invalid": "Waktu tidak valid: pakai ISO 8601 atau detik epoch."}

    def to_internal_value(self, value):
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().replace(".", "", 1).isdigit()):
            try:
                return datetime.fromtimestamp(float(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                self.fail("invalid")
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)

    def to_representation(self, value):
        return value.isoformat()


class TelephonyEventSerializer(RequestSerializer):
    event = serializers.ChoiceField(choices=TelephonyEvent.Kind.choices)
    pbx_call_id = serializers.CharField(max_length=128)
    caller_number = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    extension = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=16)
    at = PbxTimeField()


_PBX_ANSWER = inline_serializer("PbxCallAnswer", {
    "id": serializers.IntegerField(), "caller_number": serializers.CharField(allow_null=True),
    "caller_number_raw": serializers.CharField(), "status": serializers.CharField(),
    "received_at": serializers.DateTimeField(), "answered_at": serializers.DateTimeField(allow_null=True),
    "ended_at": serializers.DateTimeField(allow_null=True), "external_id": serializers.CharField(allow_null=True),
    "pbx_call_id": serializers.CharField(allow_null=True), "caller_blocked": serializers.BooleanField(),
    "caller": serializers.DictField(allow_null=True), "version": serializers.IntegerField(),
    "blocked": serializers.BooleanField(), "outcome": serializers.CharField(), "aml": serializers.DictField(allow_null=True),
})


class TelephonyEventApi(APIView):
    """`POST /api/v1/telephony/events/`: ringing, answered, hangup from the PBX."""

    permission_classes = [IsPbx]

    @extend_schema(
        request=TelephonyEventSerializer,
        responses={201: _PBX_ANSWER, 200: _PBX_ANSWER},
        description="201 with the new call (ringing), 200 otherwise; a repeated event changes nothing (outcome `duplicate`). "
        "The answer carries ids, status, times, `caller` (counts and block) and `blocked`, never call content.",
    )
    def post(self, request):
        serializer = TelephonyEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = telephony.telephony_event(
            pbx=request.user,
            event=data["event"],
            pbx_call_id=data["pbx_call_id"],
            at=data["at"],
            caller_number=data.get("caller_number"),
            extension=data.get("extension") or "",
        )
        call = call_for_user(request.user, result.call.pk)
        # The PBX gets ids, status and the caller's counts, never call content (calls/api.py).
        body = integration_call_representation(call, caller_history(call.caller))
        body["blocked"] = bool(body["caller"] and body["caller"]["blocked"]) or body["caller_blocked"]
        body["outcome"] = result.outcome
        aml = aml_service.latest_aml_for_call(result.call.pk)
        body["aml"] = aml_service.aml_event_data(aml) if aml else None
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class AmlApi(APIView):
    """`POST /api/v1/aml/`: an AML message (ETSI TS 103 625), SMS text or HTTPS fields."""

    permission_classes = [IsPbx]

    @extend_schema(
        request=inline_serializer("AmlMessage", {"sms": serializers.CharField(required=False), "from": serializers.CharField(required=False)}),
        responses={
            201: inline_serializer("AmlMatched", {"call_id": serializers.IntegerField(), "aml_id": serializers.IntegerField()}),
            202: inline_serializer("AmlPending", {"call_id": serializers.IntegerField(allow_null=True), "aml_id": serializers.IntegerField()}),
        },
        description='Body: `{"sms": "A\\"ML=1;lt=..;lg=..;rd=..;top=YYYYMMDDhhmmss;lc=..;pm=G;si=..;ei=..;mcc=..;mnc=..;ml=..", "from": "+62..."}` '
        "or form/JSON fields (lt/lat/location_latitude, lg/lon/location_longitude, rd/radius/location_accuracy, top/location_time, "
        "lc, pm, si, ei, mcc, mnc, from/device_number). 201 when matched to a call, 202 when it waits for its call.",
    )
    def post(self, request):
        data = dict(request.data.lists()) if hasattr(request.data, "lists") else request.data
        try:
            message = aml_service.parse_aml(data)
        except InvalidInput as exc:
            logger.warning("AML message refused: %s (body %.300r)", exc.message, data)
            raise
        aml = aml_service.aml_receive(message=message, user=request.user)
        body = {"call_id": aml.call_id, "aml_id": aml.pk, "matched": aml.call_id is not None, **aml_service.aml_event_data(aml)}
        body.pop("id")
        return Response(body, status=status.HTTP_201_CREATED if aml.call_id else status.HTTP_202_ACCEPTED)


class CallClaimApi(APIView):
    """`POST /api/v1/calls/{id}/claim/`: take a ringing call; 409 when someone else was first."""

    permission_classes = [IsFloor]

    @extend_schema(request=None, responses={200: CallSerializer})
    def post(self, request, call_id: int):
        call_for_user(request.user, call_id)
        telephony.call_claim(call_id=call_id, user=request.user)
        body = CallSerializer(call_for_user(request.user, call_id)).data
        aml = aml_service.latest_aml_for_call(call_id)
        body["aml"] = aml_service.aml_event_data(aml) if aml else None
        return Response(body)


class CallAmlApi(APIView):
    """`GET /api/v1/calls/{id}/aml/`: the newest AML fix matched to the call."""

    permission_classes = [IsFloor]

    @extend_schema(responses=inline_serializer("CallAml", {"aml": serializers.DictField(allow_null=True)}))
    def get(self, request, call_id: int):
        call_for_user(request.user, call_id)
        aml = aml_service.latest_aml_for_call(call_id)
        return Response({"aml": aml_service.aml_event_data(aml) if aml else None})


def _callback_row(callback: Callback, now) -> dict:
    return {
        "id": callback.pk,
        "call_id": callback.call_id,
        "caller_number": callback.call.caller_number,
        "created_at": callback.created_at.isoformat(),
        "deadline": callback.deadline.isoformat(),
        "overdue": callback.done_at is None and callback.deadline <= now,
        "outcome": callback.outcome or None,
        "done_at": callback.done_at.isoformat() if callback.done_at else None,
        "done_by": callback.done_by.get_username() if callback.done_by_id else None,
        "note": callback.note,
    }


class CallbackListApi(APIView):
    """`GET /api/v1/callbacks/`: the open call-back queue, earliest deadline first."""

    permission_classes = [IsFloor]

    @extend_schema(responses=inline_serializer("CallbackList", {"count": serializers.IntegerField(), "results": serializers.ListField()}))
    def get(self, request):
        now = timezone.now()
        rows = [_callback_row(c, now) for c in callback_service.open_callbacks()[:200]]
        return Response({"count": len(rows), "results": rows})


class CallbackOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Callback.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class CallbackOutcomeApi(APIView):
    """`POST /api/v1/callbacks/{id}/outcome/`: no_answer, emergency, prank or accidental."""

    permission_classes = [IsFloor]

    @extend_schema(
        request=CallbackOutcomeSerializer,
        responses=inline_serializer("CallbackRow", {"id": serializers.IntegerField(), "call_id": serializers.IntegerField(), "outcome": serializers.CharField()}),
        parameters=[OpenApiParameter("callback_id", int, location="path")],
    )
    def post(self, request, callback_id: int):
        get_object_or_404(Callback, pk=callback_id)
        serializer = CallbackOutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        callback = callback_service.callback_record_outcome(
            callback_id=callback_id, user=request.user, outcome=serializer.validated_data["outcome"],
            note=serializer.validated_data.get("note", ""),
        )
        callback = Callback.objects.select_related("call__caller", "done_by").get(pk=callback.pk)
        return Response(_callback_row(callback, timezone.now()))
