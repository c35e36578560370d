"""The live socket's gate: its Origin must be this site's own, and `Authorization: Token <key>`
authenticates scripts (browsers use the session)."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host


def user_for_token(key: str):
    """The user of a valid token (see dispatch/tokens.py), else AnonymousUser."""
    from dispatch.authentication import token_with_user_and_role
    from dispatch.tokens import token_is_valid

    token = token_with_user_and_role(key)
    if token is None or not token_is_valid(token):
        return AnonymousUser()
    user = token.user
    user.api_token_id = token.pk  # the consumer re-checks this token while the socket is open
    return user


_user_for_token = database_sync_to_async(user_for_token)


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("token "):
            scope = dict(scope, user=await _user_for_token(auth.split(None, 1)[1].strip()))
        return await super().__call__(scope, receive, send)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split_host(value: str) -> tuple[str, int | None] | None:
    """`host[:port]` (IPv6 in brackets) as (lowercased host, port or None); None when malformed."""
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def _expected_origin(scope) -> tuple[str, str, int] | None:
    """The page origin this socket's own site would send: (scheme, host, port), or None when unknown."""
    headers = dict(scope.get("headers", []))
    https = scope.get("scheme") == "wss"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        # Behind the TLS proxy the socket arrives as ws:// with the proxy's header naming https.
        name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        https = https or headers.get(name, b"").decode("latin-1").strip().lower() == proxy[1]
    scheme = "https" if https else "http"
    raw_host = headers.get(b"host", b"").decode("latin-1").strip()
    if raw_host:
        split = _split_host(raw_host)
        if split is None or not split[0] or not validate_host(split[0], settings.ALLOWED_HOSTS):
            return None
        host, port = split
    elif scope.get("server"):
        host, port = str(scope["server"][0]).lower(), scope["server"][1]
    else:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def origin_matches_site(scope) -> bool:
    """True when the Origin header names exactly this site: same scheme, host and port.

    Without a Host header (only hand-built scopes lack one) the host must be one of
    ALLOWED_HOSTS and the port the scheme's default. A socket without Origin is refused.
    """
    origin = dict(scope.get("headers", [])).get(b"origin")
    if not origin:
        return False
    try:
        parts = urlsplit(origin.decode("latin-1").strip())
        scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except (ValueError, UnicodeDecodeError):
        return False
    if scheme not in _DEFAULT_PORTS or not host or parts.path or parts.query or parts.username:
        return False
    port = port or _DEFAULT_PORTS[scheme]
    expected = _expected_origin(scope)
    if expected is None:
        headers = dict(scope.get("headers", []))
        if b"host" in headers or scope.get("server"):
            return False
        return validate_host(host, settings.ALLOWED_HOSTS) and port == _DEFAULT_PORTS[scheme]
    return (scheme, host, port) == expected


class SameOriginValidator:
    """Refuses a socket whose Origin is not this site's own scheme, host and port (before any handler runs)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_matches_site(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
