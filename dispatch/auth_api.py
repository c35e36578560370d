"""`POST /api/v1/auth/token/`: a token for scripts, under the same lockout as the login form.

Each request issues a new key (shown once); see dispatch/tokens.py for lifetimes and revocation."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.accounts import confirmed_totp, lockout_response, otp_required_for
from dispatch.audit import audit
from dispatch.tokens import token_create


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp_token = serializers.CharField(max_length=16, required=False, help_text="TOTP code; required for supervisors and admins")


class TokenApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}))
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=serializer.validated_data["username"], password=serializer.validated_data["password"]
        )
        address = request.META.get("REMOTE_ADDR")
        username = serializer.validated_data["username"][:150]
        if getattr(request._request, "axes_locked_out", False):
            audit("auth.token", outcome="locked", address=address, detail={"username": username})
            return lockout_response(request._request)
        if user is None or not user.is_active:
            audit("auth.token", outcome="denied", address=address, detail={"username": username})
            return Response({"detail": _("Nama pengguna atau kata sandi salah."), "code": "invalid_credentials"}, status=400)
        if otp_required_for(user):
            # Supervisors and admins get a token only with a valid code of their confirmed TOTP device.
            device = confirmed_totp(user)
            code = (serializer.validated_data.get("otp_token") or "").strip()
            if device is None or not code or not device.verify_token(code):
                audit("auth.token", user=user, outcome="otp_required", address=address)
                return Response(
                    {
                        "detail": _("Supervisor dan admin memerlukan kode verifikasi dua langkah (otp_token) yang valid."),
                        "code": "otp_required",
                    },
                    status=403,
                )
        # A new key each time, shown only here; it lives the role's TOKEN_TTL_SECONDS.
        issued = token_create(user=user, address=address)
        audit("auth.token", user=user, address=address)
        return Response({"token": issued.key})
