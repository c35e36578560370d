"""Cross-cutting HTTP behaviour: the language, database outages answer 503, security headers."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from dispatch.errors import database_unavailable_response

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://*.tile.openstreetmap.org; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Bahasa Indonesia unless English was chosen.

    Django's LocaleMiddleware also follows the browser's Accept-Language, so a floor workstation
    whose browser happens to be set to English would show English that nobody chose, and the
    desk's API answers would follow it too. Here a browser gets the language picked in the menu
    (the language cookie) or Bahasa Indonesia. A client that authenticates with an Authorization
    header (a token: the PBX, an integration) sends Accept-Language on purpose, so it is honoured.
    """

    def process_request(self, request):
        if "HTTP_AUTHORIZATION" in request.META:
            super().process_request(request)
            return
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                pass
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class DatabaseUnavailableMiddleware:
    """A request that finds the database down gets 503 with Retry-After, never 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", exception.__class__.__name__)
            return database_unavailable_response()
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
