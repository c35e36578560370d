"""The operator's call desk: the call form, today's calls, suggestions while typing."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies.models import IncidentType
from agencies.places import places_mentioned
from agencies.selectors import actor_for_user, kelurahan_options
from calls.models import CallType
from calls.selectors import calls_of_day
from calls.triage_cache import suggestion_answer
from dispatch.shifts import wib_day_bounds, wib_today


def floor_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not actor_for_user(request.user).on_floor:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@floor_required
def desk(request):
    return render(
        request,
        "calls/desk.html",
        {
            "live": True,
            "call_types": CallType.choices,
            "incident_types": IncidentType.objects.order_by("priority", "label_id"),
            "kelurahan": kelurahan_options(),
            "calls": calls_of_day(*wib_day_bounds(wib_today()))[:100],
            "take_over_after": settings.CALL_TAKE_OVER_AFTER_SECONDS,
        },
    )


@floor_required
@require_GET
def today_calls(request):
    return render(request, "calls/_today.html", {"calls": calls_of_day(*wib_day_bounds(wib_today()))[:100]})


@floor_required
@require_GET
def suggest_view(request):
    """The triage suggestion for the notes so far (`calls.triage_cache.suggestion_answer`: the type is
    filled in only from TRIAGE_PREFILL_THRESHOLD, with the top three `candidates` always), and the
    places the notes name (`agencies.places`; streets from the geocoder when GEOCODER_URL is set)."""
    text = request.GET.get("text", "")[:4000]
    if not text.strip():
        return JsonResponse(
            {"call_type": None, "incident_type": None, "primary_agency": None, "agencies": [], "confidence": 0.0,
             "suggested_incident_type": None, "prefill": False, "candidates": [], "incident_types": [],
             "prefill_threshold": settings.TRIAGE_PREFILL_THRESHOLD, "places": []}
        )
    return JsonResponse({**suggestion_answer(text), "places": [place.as_dict() for place in places_mentioned(text, streets="lookup")]})


@floor_required
@require_GET
def dispatch_panel(request, incident_id: int):
    """What the desk's dispatch panel shows for an incident just opened or joined: its type, priority
    and place, and the agencies to send (the routing rule's, then those of `?also=` (the triage
    suggestion's), comma-separated), each with its nearest post and whether it is already sent."""
    from dispatch.selectors import desk_dispatch_panel

    also = [code.strip().upper() for code in request.GET.get("also", "").split(",") if code.strip()][:14]
    panel = desk_dispatch_panel(incident_id, also=also)
    if panel is None:
        raise Http404
    return JsonResponse(panel)
