"""`GET /api/v1/alarms/`: the alarm state the screens' alarms.js sounds from."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.alarms import alarm_state_for
from dispatch.permissions import IsFloorOrAgency


class AlarmStateApi(APIView):
    """Floor: ringing calls, escalated dispatches, P1 incidents not dispatched, open call-backs.
    Agency staff: their agency's dispatches not yet accepted. Ids and times only."""

    permission_classes = [IsFloorOrAgency]

    @extend_schema(
        responses=inline_serializer(
            "AlarmState",
            {
                "server_time": serializers.DateTimeField(),
                "p1_after_seconds": serializers.IntegerField(),
                "ringing": serializers.ListField(child=serializers.DictField()),
                "escalated": serializers.ListField(child=serializers.DictField()),
                "p1_undispatched": serializers.ListField(child=serializers.DictField()),
                "callbacks": serializers.ListField(child=serializers.DictField()),
                "new_dispatches": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        return Response(alarm_state_for(request.user))
