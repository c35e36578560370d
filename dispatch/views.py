"""Screens: login, the operator board, the supervisor wall, the agency console."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agencies.selectors import actor_for_user
from calls.selectors import open_calls
from dispatch import events
from dispatch.audit import audit
from dispatch.models import Dispatch
from dispatch.selectors import live_dispatches_for_agency, open_incidents, recent_wall_alerts
from displays.selectors import wall_device_for_request
from push.services import push_enabled


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit("auth.login", user=form.get_user(), address=self.request.META.get("REMOTE_ADDR"))
        return response

    def form_invalid(self, form):
        # Never the password: only the username typed and whether axes has locked the pair.
        locked = bool(getattr(self.request, "axes_locked_out", False))
        audit(
            "auth.login",
            outcome="locked" if locked else "denied",
            address=self.request.META.get("REMOTE_ADDR"),
            detail={"username": (self.request.POST.get("username") or "")[:150]},
        )
        return super().form_invalid(form)


@require_POST
def logout_view(request):
    user_id = request.user.pk if request.user.is_authenticated else None
    if user_id is not None:
        audit("auth.logout", user=request.user, address=request.META.get("REMOTE_ADDR"))
    logout(request)
    if user_id is not None:
        events.close_user_sockets(user_id)
    return redirect("login")


@login_required
def home(request):
    actor = actor_for_user(request.user)
    if actor.is_agency_staff:
        return redirect("agency-console")
    if actor.role == "supervisor":
        return redirect("wall")
    if actor.on_floor:
        return redirect("calls:desk")
    raise PermissionDenied


def _require(request, check) -> None:
    if not check(actor_for_user(request.user)):
        raise PermissionDenied


@login_required
def board(request):
    _require(request, lambda a: a.on_floor)
    return render(request, "dispatch/board.html", {"live": True, **_board_context()})


@login_required
def board_partial(request):
    """The board's live part; `?view=wall` adds the supervisor wall's sections."""
    if request.GET.get("view") == "wall":
        _require_wall(request)
        return render(request, "dispatch/_board.html", _wall_context())
    _require(request, lambda a: a.on_floor)
    return render(request, "dispatch/_board.html", _board_context())


def _board_context() -> dict:
    return {
        "calls": list(open_calls()[:100]),
        "incidents": list(open_incidents()[:100]),
        # A call nobody has changed for this long is marked: it was most likely left, and can be taken over at the desk.
        "take_over_after": settings.CALL_TAKE_OVER_AFTER_SECONDS,
        "take_over_minutes": settings.CALL_TAKE_OVER_AFTER_SECONDS // 60,
    }


def _wall_context() -> dict:
    waiting = (
        Dispatch.objects.filter(status=Dispatch.Status.DISPATCHED)
        .select_related("incident__incident_type", "agency")
        .order_by("-escalation_level", "ack_deadline")[:100]
    )
    board = _board_context()
    per_operator: dict[str, int] = {}
    for call in board["calls"]:
        name = call.operator.get_username() if call.operator_id else ""
        per_operator[name] = per_operator.get(name, 0) + 1
    return {
        **board,
        "wall": True,
        "calls_per_operator": sorted(per_operator.items(), key=lambda item: (-item[1], item[0])),
        "unacknowledged": list(waiting),
        "counts": Dispatch.objects.aggregate(
            unacknowledged=Count("pk", filter=Q(status=Dispatch.Status.DISPATCHED)),
            escalated=Count("pk", filter=Q(status=Dispatch.Status.DISPATCHED, escalation_level__gt=0)),
        ),
    }


def _require_wall(request) -> None:
    """Supervisors, and the wall displays they enrolled (read-only; see displays/)."""
    if not (actor_for_user(request.user).is_supervisor or wall_device_for_request(request)):
        raise PermissionDenied


@login_required
def wall(request):
    _require_wall(request)
    return render(
        request,
        "dispatch/wall.html",
        {"live": True, "wall_device": wall_device_for_request(request), "recent_alerts": recent_wall_alerts(), **_wall_context()},
    )


@login_required
def wall_incidents(request):
    """Open incidents with a location, for the wall's map (floor and wall displays only)."""
    if not (actor_for_user(request.user).on_floor or wall_device_for_request(request)):
        raise PermissionDenied
    features = []
    for incident in open_incidents()[:300]:
        if incident.lat is None or incident.lon is None:
            continue
        dispatches = list(incident.dispatches.all())
        features.append(
            {
                "id": incident.pk,
                "lat": incident.lat,
                "lon": incident.lon,
                "label": incident.incident_type.label,
                "priority": incident.priority,
                "status": incident.status,
                "address": incident.address,
                "kelurahan": incident.kelurahan.name if incident.kelurahan_id else None,
                "url": f"/incidents/{incident.pk}/",
                "escalated": any(d.escalation_level and d.status == Dispatch.Status.DISPATCHED for d in dispatches),
                "agencies": [
                    {"agency": d.agency.code, "status": d.status, "status_label": d.get_status_display()} for d in dispatches if d.is_active
                ],
            }
        )
    return JsonResponse({"incidents": features})


def _agency_cards(agency_code: str) -> list[Dispatch]:
    """The console's cards: those still waiting for "Terima" first, then the newest, so the newest
    dispatch's buttons are at the top of the screen."""
    cards = list(live_dispatches_for_agency(agency_code))
    cards.sort(key=lambda d: (d.status != Dispatch.Status.DISPATCHED, -d.dispatched_at.timestamp()))
    return cards


@login_required
def agency_console(request):
    actor = actor_for_user(request.user)
    if not actor.is_agency_staff:
        raise PermissionDenied
    return render(
        request,
        "dispatch/agency.html",
        {
            "live": True,
            "agency_code": actor.agency_code,
            "dispatches": _agency_cards(actor.agency_code),
            "push_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY if push_enabled() else "",
        },
    )


@login_required
def agency_partial(request):
    actor = actor_for_user(request.user)
    if not actor.is_agency_staff:
        raise PermissionDenied
    return render(request, "dispatch/_agency.html", {"dispatches": _agency_cards(actor.agency_code)})


@login_required
def incident_page(request, incident_id: int):
    """The operator's page for one incident: calls, suggested agencies, dispatches, close/reopen."""
    from agencies.models import Agency
    from agencies.selectors import kelurahan_options
    from dispatch.selectors import agency_suggestions, incident_for_user, incident_timeline, places_named_for

    _require(request, lambda a: a.on_floor)
    incident = incident_for_user(request.user, incident_id)
    suggestions = agency_suggestions(incident)
    suggested = {s.agency.code for s in suggestions}
    calls = list(incident.calls.select_related("caller").order_by("received_at"))
    return render(
        request,
        "dispatch/incident.html",
        {
            "live": True,
            "incident": incident,
            "calls": calls,
            "notes": list(incident.notes.select_related("by")),
            "places_named": places_named_for(incident, calls),
            "dispatches": list(incident.dispatches.select_related("agency", "station", "acknowledged_by").order_by("dispatched_at")),
            "suggestions": suggestions,
            "other_agencies": [a for a in Agency.objects.filter(active=True) if a.code not in suggested],
            "timeline": incident_timeline(incident),
            "kelurahan": kelurahan_options(),
        },
    )


def favicon(request):
    """/favicon.ico: the icon the pages link to (its static name is looked up per request, after collectstatic)."""
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("favicon.svg"))
