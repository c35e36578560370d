"""Screens: supervisors enrol and revoke wall displays; a display opens its one-time link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.selectors import actor_for_user
from dispatch.accounts import INTERACTIVE_KEY
from displays import services
from displays.models import WallDevice
from displays.selectors import SESSION_KEY, wall_devices

# A display stays signed in while it keeps reading; a week switched off ends it.
DEVICE_SESSION_SECONDS = 7 * 24 * 60 * 60


def _require_supervisor(request) -> None:
    if not actor_for_user(request.user).is_supervisor:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def devices(request):
    _require_supervisor(request)
    created = link = None
    error = ""
    if request.method == "POST":
        try:
            created, secret = services.wall_device_create(by=request.user, name=request.POST.get("name", ""))
        except ValueError:
            error = _("Beri nama perangkat, mis. \"TV ruang operator\".")
        else:
            link = request.build_absolute_uri(reverse("wall-device-open", args=[secret]))
    return render(
        request,
        "displays/devices.html",
        {"devices": list(wall_devices()), "created": created, "link": link, "error": error, "valid_minutes": int(services.LINK_VALID_FOR.total_seconds() // 60)},
        status=400 if error else 200,
    )


@login_required
@require_POST
def revoke(request, device_id: int):
    _require_supervisor(request)
    device = get_object_or_404(WallDevice, pk=device_id)
    services.wall_device_revoke(device_id=device.pk, by=request.user)
    messages.success(request, _("Perangkat \"%(name)s\" dicabut.") % {"name": device.name})
    return redirect("wall-devices")


@require_http_methods(["GET", "POST"])
def open_link(request, secret: str):
    """GET asks to confirm (a link preview must not use up the link); POST signs the screen in."""
    try:
        device = services.wall_device_for_link(secret)
    except services.LinkInvalid:
        return render(request, "displays/open.html", {"invalid": True}, status=404)
    if request.method == "GET":
        return render(request, "displays/open.html", {"device": device})
    try:
        device = services.wall_device_open(secret=secret)
    except services.LinkInvalid:
        return render(request, "displays/open.html", {"invalid": True}, status=404)
    if request.user.is_authenticated:
        logout(request)
    login(request, device.user, backend="django.contrib.auth.backends.ModelBackend")
    # Not an interactive session: no idle timeout, no second factor; it may only read the wall.
    request.session.pop(INTERACTIVE_KEY, None)
    request.session[SESSION_KEY] = device.pk
    request.session.set_expiry(DEVICE_SESSION_SECONDS)
    return redirect("wall")
