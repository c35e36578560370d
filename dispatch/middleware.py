"""Cross-cutting HTTP behaviour: the client's address behind proxies, the language, database outages
answer 503, security and caching headers."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import resolve_url
from django.utils import translation

from dispatch.errors import database_unavailable_response
from dispatch.tiles import tile_csp_source

logger = logging.getLogger(__name__)

# connect-src names the site's own WebSocket origin (`{sockets}`, filled in per request): a bare
# `ws:`/`wss:` would let a script talk to any host. img-src names the map tiles' host (`{tiles}`)
# only when MAP_TILE_URL is set.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "connect-src 'self'{sockets}; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def parse_networks(entries) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """TRUSTED_PROXIES as networks; an address alone is a network of one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from exc
    return tuple(networks)


def _ip(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: str, trusted) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy.

    From a trusted proxy, X-Forwarded-For is read from the right (each proxy appends the address it
    saw) and the first address that is not itself a trusted proxy is the client. Whatever a client
    put into the header itself lies further left and is never reached. An entry that is not an
    address stops the walk at the last trusted proxy.
    """
    address = _ip(peer)
    if address is None or not any(address in network for network in trusted):
        return peer
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        hop_address = _ip(hop)
        if hop_address is None:
            break
        address = hop_address
        if not any(address in network for network in trusted):
            break
    return str(address)


def request_address(request) -> str | None:
    """The client's address for the login lockout (AXES_CLIENT_IP_CALLABLE)."""
    return request.META.get("REMOTE_ADDR") or None


class TrustedProxyMiddleware:
    """REMOTE_ADDR and the scheme as the client used them, believed only from TRUSTED_PROXIES.

    Runs first, so everything after it (the HTTPS redirect, the login lockout, the audit trail)
    sees the client's address in REMOTE_ADDR and X-Forwarded-Proto only when a trusted proxy set
    it. A peer that is not a trusted proxy keeps its own address, and its forwarded headers are
    dropped. The ASGI server passes the peer through untouched (`dispatch.server`).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = parse_networks(settings.TRUSTED_PROXIES)

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR") or ""
        peer_address = _ip(peer)
        if peer_address is not None and any(peer_address in network for network in self.trusted):
            meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR", ""), self.trusted)
        else:
            meta.pop("HTTP_X_FORWARDED_PROTO", None)
            meta.pop("HTTP_X_FORWARDED_FOR", None)
        return self.get_response(request)


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


def _socket_origin(request) -> str:
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    return f" {'wss' if request.is_secure() else 'ws'}://{host}"


def _tile_source() -> str:
    source = tile_csp_source(settings.MAP_TILE_URL)
    return f" {source}" if source else ""


class SecurityHeadersMiddleware:
    """CSP and permissions on every answer; `Cache-Control: no-store` on what may be personal.

    Every API answer and every answer to a logged-in user is kept out of browser and proxy caches
    (a shared workstation's back button, a caching proxy). Static files never reach this middleware
    (WhiteNoise answers them first) and keep their long cache lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            response.setdefault("Content-Security-Policy", CSP.format(sockets=_socket_origin(request), tiles=_tile_source()))
        response.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        user = getattr(request, "user", None)
        personal = request.path.startswith("/api/") or (user is not None and user.is_authenticated)
        if personal or not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


# Marks a screen's own refresh of part of a page (static/js/common.js, partialRefresher).
PARTIAL_HEADER = "X-Partial"


def is_partial_refresh(request) -> bool:
    return request.headers.get(PARTIAL_HEADER) == "1"


class PartialRefreshMiddleware:
    """A partial refresh that would be sent to another page answers 401 or 403 instead.

    A page asks for its partials in the background; a redirect to the login page (no session, or
    it timed out) would be followed by the browser and the login form drawn inside the screen.
    The partial gets 401 (to the login page) or 403 (to the two-step verification) and the screen
    says the session ended. A person navigating to the same address is still redirected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_partial_refresh(request) or not 300 <= response.status_code < 400 or not response.has_header("Location"):
            return response
        target = urlsplit(response["Location"]).path
        status = 401 if target == resolve_url(settings.LOGIN_URL) else 403
        refused = HttpResponse(status=status, content_type="text/plain; charset=utf-8")
        refused["Cache-Control"] = "no-store"
        return refused
