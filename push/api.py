"""POST/DELETE /api/v1/push/subscriptions/: a browser subscribes to (or leaves) Web Push for its user."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.permissions import IsFloorOrAgency
from push import services


class _Keys(serializers.Serializer):
    p256dh = serializers.RegexField(r"^[A-Za-z0-9_\-]{80,100}={0,2}$", max_length=200)
    auth = serializers.RegexField(r"^[A-Za-z0-9_\-]{16,30}={0,2}$", max_length=100)


class SubscriptionSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)
    keys = _Keys()


class UnsubscribeSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)


class PushSubscriptionApi(APIView):
    permission_classes = [IsFloorOrAgency]

    @extend_schema(request=SubscriptionSerializer, responses=inline_serializer("PushSubscribed", {"id": serializers.IntegerField()}))
    def post(self, request):
        if not services.push_enabled():
            return Response({"detail": _("Notifikasi push belum diatur di server ini."), "code": "push_disabled"}, status=409)
        serializer = SubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            subscription = services.subscription_save(
                user=request.user, endpoint=data["endpoint"], p256dh=data["keys"]["p256dh"], auth=data["keys"]["auth"]
            )
        except services.EndpointRefused:
            return Response({"detail": _("Alamat layanan push tidak diizinkan."), "code": "invalid", "field": "endpoint"}, status=400)
        return Response({"id": subscription.pk}, status=201)

    @extend_schema(request=UnsubscribeSerializer, responses=inline_serializer("PushUnsubscribed", {"deleted": serializers.IntegerField()}))
    def delete(self, request):
        serializer = UnsubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deleted = services.subscription_delete(user=request.user, endpoint=serializer.validated_data["endpoint"])
        return Response({"deleted": deleted}, status=200)
