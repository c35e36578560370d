"""The operator's call desk: the call form, today's calls, suggestions while typing."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
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
    """The triage suggestion for the notes so far, and the places they name (`agencies.places`)."""
    text = request.GET.get("text", "")[:4000]
    if not text.strip():
        return JsonResponse(
            {"call_type": None, "incident_type": None, "primary_agency": None, "agencies": [], "confidence": 0.0,
             "suggested_incident_type": None, "prefill": False, "candidates": [], "incident_types": [], "places": []}
        )
    return JsonResponse({**suggestion_answer(text), "places": [place.as_dict() for place in places_mentioned(text)]})
