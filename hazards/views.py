"""Disaster pages: the board (calls by kelurahan, alerts, script), ending disaster mode, the BPBD export."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.selectors import actor_for_user
from dispatch.errors import ServiceError
from hazards import selectors, services
from hazards.models import Kind
from hazards.parsing import WIB

# Agency staff who see the disaster board and its export besides the floor.
BOARD_AGENCIES = ("BPBD",)


def _can_see_board(actor) -> bool:
    return actor.on_floor or (actor.is_agency_staff and actor.agency_code in BOARD_AGENCIES)


def _require(request, check):
    actor = actor_for_user(request.user)
    if not check(actor):
        raise PermissionDenied
    return actor


def _board_context(request, actor) -> dict:
    period = selectors.active_period() or selectors.latest_period()
    return {
        "period": period,
        "state": services.disaster_state_data(period if period and period.active else None),
        "summary": selectors.period_summary(period) if period else None,
        "alerts": selectors.recent_alerts(),
        "quick_tags": selectors.QUICK_TAGS,
        "scripts": [(kind, label, services.script_for(kind)) for kind, label in Kind.choices if kind],
        "can_end": actor.is_supervisor,
    }


@login_required
def disaster_board(request):
    actor = _require(request, _can_see_board)
    context = _board_context(request, actor)
    if request.GET.get("partial"):
        return render(request, "hazards/_board.html", context)
    return render(request, "hazards/board.html", {"live": True, **context})


@login_required
@require_POST
def disaster_end_view(request):
    _require(request, lambda a: a.is_supervisor)
    try:
        services.disaster_end(user=request.user)
        messages.success(request, _("Mode bencana diakhiri."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("hazards:board")


@login_required
@require_POST
def disaster_script_view(request):
    _require(request, lambda a: a.is_supervisor)
    try:
        services.script_update(kind=request.POST.get("kind", ""), text=request.POST.get("text", ""), user=request.user)
        messages.success(request, _("Naskah disimpan."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("hazards:board")


@login_required
def disaster_export(request, period_id: int):
    """The period's calls as CSV for BPBD: when, where, type, quick tags, notes."""
    _require(request, _can_see_board)
    period = selectors.period_get(period_id)
    if period is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bencana-{period.started_at.astimezone(WIB):%Y%m%d-%H%M}.csv"'
    writer = csv.writer(response)
    alert = period.alert
    summary = selectors.period_summary(period)
    writer.writerow(["# disaster_period", period.pk, period.kind, period.started_at.isoformat(),
                     period.ended_at.isoformat() if period.ended_at else "", alert.identifier, alert.magnitude,
                     alert.distance_km, alert.tsunami_level or alert.tsunami])
    writer.writerow(["# calls_total", summary["calls_total"], "quake_calls", summary["quake_calls"],
                     "calls_per_hour", summary["calls_per_hour"]])
    writer.writerow(["call_id", "received_at_wib", "call_type", "kecamatan", "kelurahan", "address", "lat", "lon",
                     "tags", "incident_id", "notes"])
    for call in selectors.period_calls(period):
        writer.writerow([
            call.pk, timezone.localtime(call.received_at, WIB).strftime("%Y-%m-%d %H:%M:%S"), call.call_type,
            call.kelurahan.kecamatan.name if call.kelurahan_id else "", call.kelurahan.name if call.kelurahan_id else "",
            _safe(call.address), call.lat, call.lon, " ".join(selectors.tags_in(call.notes)), call.incident_id or "",
            _safe(call.notes),
        ])
    return response


def _safe(text: str) -> str:
    """No spreadsheet formula injection from callers' words."""
    text = (text or "").replace("\r", " ").replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text
