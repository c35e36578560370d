"""Liveness and readiness for load balancers and compose health checks."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse


def live(request):
    return JsonResponse({"status": "ok"})


def ready(request):
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means not ready
        connection.close_if_unusable_or_obsolete()
        response = JsonResponse({"status": "unavailable", "database": "down"}, status=503)
        response["Retry-After"] = "2"
        return response
    return JsonResponse({"status": "ok", "database": "up"})
