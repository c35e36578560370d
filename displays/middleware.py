"""A wall display's session may read the wall and nothing else."""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from displays.selectors import SESSION_KEY, wall_device_for_request

# What the wall reads, by GET only; the live socket is checked in the consumer.
WALL_PATHS = frozenset({"/wall/", "/wall/incidents.json", "/board/partial/", "/api/v1/events/", "/api/v1/disaster/", "/jsi18n/", "/geo/kelurahan.geojson"})
WALL_PREFIXES = ("/static/", "/health/")


def wall_may_read(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and (path in WALL_PATHS or path.startswith(WALL_PREFIXES))


class WallDeviceMiddleware:
    """After authentication: a display's session reaches only the wall; a revoked display's session ends."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is None or session.get(SESSION_KEY) is None:
            return self.get_response(request)
        if wall_device_for_request(request) is None:
            # Revoked (its user is inactive) or not a display any more: the session ends here.
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Perangkat layar ini sudah dicabut."), "code": "device_revoked"}, status=401)
            return redirect("login")
        if request.path == "/logout/" and request.method == "POST":
            return self.get_response(request)
        if not wall_may_read(request.method, request.path):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Perangkat layar hanya dapat menampilkan layar dinding."), "code": "wall_device_only"}, status=403)
            return HttpResponseForbidden(_("Perangkat layar hanya dapat menampilkan layar dinding."))
        return self.get_response(request)
