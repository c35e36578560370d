"""The calls API: intake, reading, edits and classification."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import services
from calls.models import Call
from calls.serializers import _time
from calls.serializers import (
    CallCreateSerializer,
    CallSerializer,
    CallUpdateSerializer,
    ClassifySerializer,
    TakeOverSerializer,
    location_from,
)
from dispatch.errors import InvalidInput
from dispatch.permissions import IsFloor, IsIntake
from dispatch.shifts import wib_day_bounds


_DAYS = (date(2000, 1, 1), date(2100, 12, 31))  # as reports.selectors.FIRST_DAY / LAST_DAY


def _int_param(request, name: str, default: int) -> int:
    value = request.query_params.get(name, "")
    # isdigit() is also true for digits int() refuses, such as "²".
    return int(value) if value.isascii() and value.isdigit() else default


def call_for_user(user, call_id: int) -> Call:
    """Calls are floor business: every caller of this helper has passed a floor-role check."""
    return get_object_or_404(Call.objects.select_related("caller", "operator", "kelurahan__kecamatan", "incident__incident_type"), pk=call_id)


# Accounts of other systems (the PBX and AML gateway, the hazard feed): they record calls but never read
# call content (notes, places, operators, the caller's earlier calls).
INTEGRATION_ROLES = ("pbx", "feed")


def is_integration(user) -> bool:
    from agencies.selectors import actor_for_user

    return actor_for_user(user).role in INTEGRATION_ROLES


_CALLER_KEYS_FOR_INTEGRATIONS = ("calls_total", "emergency_count", "prank_count", "ghost_count", "blocked", "prank_risk")


def integration_call_representation(call: Call, history) -> dict:
    """A call as an integration account sees it: ids, status, times, the number as it sent it, the
    caller's counts and block. Never notes, places, operators or the caller's recent calls."""
    summary = history.summary() if history is not None else None
    return {
        "id": call.pk,
        "caller_number": call.caller_number,
        "caller_number_raw": call.caller_number_raw,
        "status": call.status,
        "received_at": _time(call.received_at),
        "answered_at": _time(call.answered_at),
        "ended_at": _time(call.ended_at),
        "external_id": call.external_id,
        "pbx_call_id": call.pbx_call_id,
        "caller_blocked": call.caller_blocked,
        "caller": {key: summary[key] for key in _CALLER_KEYS_FOR_INTEGRATIONS} if summary else None,
        "version": call.version,
    }


class CallListCreateApi(APIView):
    permission_classes = [IsIntake]

    def get_permissions(self):
        return [IsFloor()] if self.request.method == "GET" else [IsIntake()]

    @extend_schema(
        operation_id="v1_calls_list",
        parameters=[
            OpenApiParameter("date", str, description="WIB day YYYY-MM-DD"),
            OpenApiParameter("status", str),
            OpenApiParameter("operator", str, description="`me` (the caller of the API) or a username: the calls that operator has or had"),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=inline_serializer(
            "CallList", {"count": drf_serializers.IntegerField(), "results": CallSerializer(many=True, context={"with_history": False})}
        ),
    )
    def get(self, request):
        qs = Call.objects.select_related("caller", "operator", "kelurahan__kecamatan", "incident__incident_type").order_by("-received_at")
        try:
            day = parse_date(request.query_params.get("date", "") or "")
        except ValueError:  # well formed but no such day, e.g. 2026-02-30
            raise InvalidInput(_("Tanggal harus berformat YYYY-MM-DD."), field="date") from None
        if request.query_params.get("date") and day is None:
            # A malformed date is refused, not read as "every day".
            raise InvalidInput(_("Tanggal harus berformat YYYY-MM-DD."), field="date")
        if day and not _DAYS[0] <= day <= _DAYS[1]:
            # Far days (9999-12-31) would overflow the day's bounds.
            raise InvalidInput(_("Tanggal di luar rentang yang didukung."), field="date")
        if day:
            start, end = wib_day_bounds(day)
            qs = qs.filter(received_at__gte=start, received_at__lt=end)
        if request.query_params.get("status"):
            # Only a known status reaches the database (a NUL byte in a value is a DataError there).
            wanted = request.query_params["status"]
            qs = qs.filter(status=wanted) if wanted in Call.Status.values else qs.none()
        operator = request.query_params.get("operator", "")
        if operator == "me":
            qs = qs.filter(operator=request.user)
        elif operator:
            # No username holds a NUL byte (a DataError in PostgreSQL) or is longer than 150.
            qs = qs.filter(operator__username=operator) if "\x00" not in operator and len(operator) <= 150 else qs.none()
        limit = min(max(_int_param(request, "limit", 50), 1), 500)
        total = qs.count()
        # Past the end is an empty page; an offset beyond bigint would be a DataError in the database.
        offset = min(_int_param(request, "offset", 0), total)
        rows = CallSerializer(qs[offset : offset + limit], many=True, context={"with_history": False}).data
        return Response({"count": total, "results": rows})

    @extend_schema(
        request=CallCreateSerializer,
        responses={201: CallSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        serializer = CallCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = request.headers.get("Idempotency-Key") or None
        if key and len(key) > 128:
            return Response({"detail": _("Idempotency-Key terlalu panjang (maksimal 128)."), "code": "invalid"}, status=400)
        intake = services.call_intake(
            operator=request.user,
            caller_number=data.get("caller_number"),
            notes=data.get("notes", ""),
            channel=data.get("channel") or Call.Channel.VOICE,
            location=location_from(data.get("location")),
            external_id=data.get("external_id") or None,
            idempotency_key=key,
            request_hash=services.request_fingerprint(request.data) if key or data.get("external_id") else "",
        )
        if is_integration(request.user):
            body = integration_call_representation(intake.call, intake.history)
        else:
            # A new call already holds its caller, operator and kelurahan; a repeat is read back whole.
            call = intake.call if intake.created else call_for_user(request.user, intake.call.pk)
            body = CallSerializer(call, context={"history": intake.history}).data
        response = Response(body, status=status.HTTP_201_CREATED)
        if not intake.created:
            response["Idempotent-Replayed"] = "true"
        return response


class CallDetailApi(APIView):
    permission_classes = [IsFloor]

    @extend_schema(responses=CallSerializer)
    def get(self, request, call_id: int):
        return Response(CallSerializer(call_for_user(request.user, call_id)).data)

    @extend_schema(request=CallUpdateSerializer, responses=CallSerializer)
    def patch(self, request, call_id: int):
        call_for_user(request.user, call_id)
        serializer = CallUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.call_update(
            call_id=call_id,
            user=request.user,
            notes=data.get("notes"),
            location=location_from(data.get("location")) if "location" in data else None,
        )
        return Response(CallSerializer(call_for_user(request.user, call_id)).data)


class CallClassifyApi(APIView):
    permission_classes = [IsFloor]

    @extend_schema(request=ClassifySerializer, responses=CallSerializer)
    def post(self, request, call_id: int):
        serializer = ClassifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            call = services.call_classify(
                call_id=call_id,
                user=request.user,
                call_type=data["call_type"],
                incident_type=data.get("incident_type") or None,
                notes=data.get("notes"),
                duplicate_of=data.get("duplicate_of"),
            )
        except Call.DoesNotExist:
            raise Http404 from None
        return Response(CallSerializer(call).data)


class CallTakeOverApi(APIView):
    """`POST /api/v1/calls/{id}/take-over/`: a colleague's unfinished call onto this operator's desk; 409 unless it is being handled."""

    permission_classes = [IsFloor]

    @extend_schema(request=TakeOverSerializer, responses={200: CallSerializer})
    def post(self, request, call_id: int):
        call_for_user(request.user, call_id)
        serializer = TakeOverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.call_take_over(call_id=call_id, user=request.user, from_operator=serializer.validated_data.get("from_operator"))
        return Response(CallSerializer(call_for_user(request.user, call_id)).data)
