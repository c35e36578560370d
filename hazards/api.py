"""The hazards API: the feed account's CAP push and everyone's disaster-mode state."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiRequest, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.permissions import IsFeed, IsFloorOrAgency
from hazards import selectors, services
from hazards.parsing import MAX_MESSAGE_BYTES

_CapAnswer = inline_serializer("CapAnswer", {
    "alert_id": drf_serializers.IntegerField(), "identifier": drf_serializers.CharField(),
    "disaster_mode": drf_serializers.BooleanField()})


class CapAlertApi(APIView):
    """`POST /api/v1/hazards/cap/`: a CAP 1.2 message (application/xml) from the feed account."""

    permission_classes = [IsFeed]

    @extend_schema(
        request=OpenApiRequest({"application/xml": {"type": "string"}}),
        responses={201: _CapAnswer, 200: _CapAnswer},
        examples=[OpenApiExample("CAP 1.2", value="<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">…</alert>")],
        description="201 when the alert is new, 200 with the same answer when its identifier is already stored, "
                    "400 for XML that is not valid CAP 1.2, from a sender not accepted, or an Update/Cancel of an unknown alert.",
    )
    def post(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_MESSAGE_BYTES:
            return Response({"detail": _("Pesan CAP terlalu besar."), "code": "too_large"}, status=400)
        # The raw body, never DRF's parsers: only the hardened CAP parser reads it.
        alert, created = services.alert_receive_cap(data=request.body, user=request.user)
        active = selectors.active_period()
        return Response(
            {"alert_id": alert.pk, "identifier": alert.identifier, "disaster_mode": active is not None},
            status=201 if created else 200,
        )


class DisasterStateApi(APIView):
    """`GET /api/v1/disaster/`: whether the centre is in disaster mode, since when, and the alert behind it."""

    permission_classes = [IsFloorOrAgency]

    @extend_schema(responses=inline_serializer("DisasterState", {
        "active": drf_serializers.BooleanField(), "kind": drf_serializers.CharField(allow_null=True),
        "since": drf_serializers.DateTimeField(allow_null=True), "alert": drf_serializers.DictField(allow_null=True),
        "period_id": drf_serializers.IntegerField(allow_null=True), "script": drf_serializers.CharField()}))
    def get(self, request):
        return Response(services.disaster_state_data(selectors.active_period()))
