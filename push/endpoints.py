"""Which push endpoints the server may POST to: the browsers' push services, never the inside of
the network (an endpoint is chosen by the client, so it is a way to make the server send requests)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


def _addresses(host: str) -> list[ipaddress._BaseAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def endpoint_allowed(url: str) -> bool:
    """https to a host whose every address is public; with WEBPUSH_ALLOW_LOOPBACK (development and
    tests) also http or https to the loopback address, and nothing else private."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if not host or parts.username or parts.password or port == 0:
        return False
    addresses = _addresses(host)
    if not addresses:
        return False
    if getattr(settings, "WEBPUSH_ALLOW_LOOPBACK", False) and all(a.is_loopback for a in addresses):
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and all(a.is_global for a in addresses)
