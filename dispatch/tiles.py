"""The street-map tile layer under the kelurahan outlines (`MAP_TILE_URL`, `MAP_TILE_ATTRIBUTION`).

Unset, the maps draw the outlines alone: nothing is fetched from outside the site.
"""

from __future__ import annotations

from urllib.parse import urlsplit

PLACEHOLDERS = ("{z}", "{x}", "{y}")


def tile_url_problems(url: str) -> list[str]:
    """What makes a tile URL template unusable; empty when it is fine (or unset)."""
    if not url:
        return []
    problems = []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append("it must be an http:// or https:// URL with a host")
    elif _csp_host(parts.netloc) is None:
        problems.append("a placeholder in the host may only be {s} as its first label ({s}.tiles.example.org)")
    missing = [placeholder for placeholder in PLACEHOLDERS if placeholder not in url]
    if missing:
        problems.append("it lacks " + ", ".join(missing))
    return problems


def tile_csp_source(url: str) -> str:
    """The CSP source that lets the browser load the tiles: scheme, host and port of the template.

    A `{s}` subdomain placeholder (`https://{s}.tile.example.org/...`) becomes a wildcard
    (`https://*.tile.example.org`). Empty when no tile URL is set or it is unusable.
    """
    if not url or tile_url_problems(url):
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{_csp_host(parts.netloc)}"


def _csp_host(netloc: str) -> str | None:
    """The host (and port) as a CSP host source, or None when it cannot be one."""
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("{s}."):
        host = "*." + host[len("{s}."):]
    if any(char in host for char in "{}; ,'\""):
        return None
    return host
