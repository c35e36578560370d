"""Cross-cutting HTTP behaviour: database outages answer 503, security headers."""

from __future__ import annotations

import logging

from django.db import OperationalError, InterfaceError
from django.http import JsonResponse

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://*.tile.openstreetmap.org; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class DatabaseUnavailableMiddleware:
    """A request that finds the database down gets 503 with Retry-After, never 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", exception.__class__.__name__)
            response = JsonResponse(
                {"detail": "Basis data sedang tidak tersedia. Coba lagi sebentar.", "code": "database_unavailable"},
                status=503,
            )
            response["Retry-After"] = "2"
            return response
        return None


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        return response
