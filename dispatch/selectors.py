"""Reads about incidents and dispatches, scoped to what the user may see.

`incident_for_user` and `dispatch_for_user` are the one access check for
these objects: every view, API and consumer goes through them, and what a
user may not see is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet, Subquery
from django.http import Http404

from agencies.models import Agency, RoutingRule, Station
from agencies.selectors import actor_for_user, haversine_m, nearest_station, routing_table
from dispatch.models import Dispatch, Incident


# A dispatch the agency no longer works on: its staff lose sight of the incident behind it.
_WITHDRAWN = (Dispatch.Status.CANCELLED, Dispatch.Status.DECLINED)


def dispatches_visible_to(user) -> QuerySet[Dispatch]:
    actor = actor_for_user(user)
    qs = Dispatch.objects.select_related("incident__incident_type", "incident__kelurahan", "agency", "station", "acknowledged_by")
    if actor.on_floor:
        return qs
    if actor.is_agency_staff and actor.agency_code:
        return qs.filter(agency__code=actor.agency_code)
    return qs.none()


def incidents_visible_to(user) -> QuerySet[Incident]:
    actor = actor_for_user(user)
    qs = Incident.objects.select_related("incident_type", "kelurahan__kecamatan")
    if actor.on_floor:
        return qs
    if actor.is_agency_staff and actor.agency_code:
        # Only while the agency's own dispatch stands: once it is cancelled or declined the staff keep
        # their dispatch record (dispatch_for_user) but no longer read the incident, its calls or notes.
        return qs.filter(
            pk__in=Dispatch.objects.filter(agency__code=actor.agency_code)
            .exclude(status__in=_WITHDRAWN)
            .values("incident_id")
        )
    return qs.none()


def dispatch_for_user(user, dispatch_id: int) -> Dispatch:
    dispatch = dispatches_visible_to(user).filter(pk=dispatch_id).first()
    if dispatch is None:
        raise Http404("Pengiriman tidak ditemukan.")
    return dispatch


def incident_for_user(user, incident_id: int) -> Incident:
    incident = incidents_visible_to(user).filter(pk=incident_id).first()
    if incident is None:
        raise Http404("Kejadian tidak ditemukan.")
    return incident


def open_incidents():
    return (
        Incident.objects.exclude(status=Incident.Status.CLOSED)
        .select_related("incident_type", "kelurahan")
        .prefetch_related("dispatches__agency")
        .order_by("priority", "created_at")
    )


def live_dispatches_for_agency(agency_code: str):
    return (
        Dispatch.objects.filter(agency__code=agency_code, status__in=Dispatch.ACTIVE)
        .select_related("incident__incident_type", "incident__kelurahan", "agency", "station")
        .prefetch_related("incident__calls__caller", "incident__notes")
        .order_by("-incident__priority", "dispatched_at")
    )


DUPLICATE_RADIUS_M = 500
DUPLICATE_WINDOW = timedelta(minutes=30)
# About 500 m in degrees of latitude, padded; a cheap box before the exact distance.
_BOX_DEG = 0.006


@dataclass(frozen=True)
class DuplicateCandidate:
    incident: Incident
    distance_m: float
    same_type: bool


def duplicate_candidates(
    *, lat: float | None, lon: float | None, incident_type_code: str | None, at: datetime, exclude_incident_id: int | None = None
) -> list[DuplicateCandidate]:
    """Open incidents within ~500 m and ~30 min of a call, of a related type.

    Related means the same incident type, or a type whose routing rule has the
    same primary agency (a house fire and a shop fire both go to Damkar). With
    no incident type yet, any open incident nearby counts. Nearest first.
    """
    if lat is None or lon is None:
        return []
    qs = (
        Incident.objects.exclude(status=Incident.Status.CLOSED)
        .filter(
            created_at__gte=at - DUPLICATE_WINDOW,
            created_at__lte=at + DUPLICATE_WINDOW,
            lat__range=(lat - _BOX_DEG, lat + _BOX_DEG),
            lon__range=(lon - _BOX_DEG, lon + _BOX_DEG),
        )
        .select_related("incident_type", "kelurahan")
    )
    if exclude_incident_id is not None:
        qs = qs.exclude(pk=exclude_incident_id)
    if incident_type_code:
        # Related in the same query: the same type, or one whose rule has the same primary agency.
        primary = RoutingRule.objects.filter(incident_type__code=incident_type_code).values("primary_agency_id")[:1]
        qs = qs.filter(Q(incident_type__code=incident_type_code) | Q(incident_type__routing__primary_agency_id=Subquery(primary)))
    found = []
    for incident in qs:
        distance = haversine_m(lat, lon, incident.lat, incident.lon)
        if distance <= DUPLICATE_RADIUS_M:
            found.append(
                DuplicateCandidate(incident=incident, distance_m=round(distance, 1), same_type=incident.incident_type.code == incident_type_code)
            )
    return sorted(found, key=lambda c: (not c.same_type, c.distance_m))


def duplicate_candidates_for_call(call_id: int, *, incident_type_code: str | None) -> list[DuplicateCandidate]:
    """The duplicate candidates of a stored call (404 when there is none), compared with the
    given type or else the type of the call's own incident, which is never its own candidate.

    The call is read as the five values the comparison needs: the operator asks this for
    every emergency call of a surge.
    """
    from calls.models import Call

    row = (
        Call.objects.filter(pk=call_id)
        .values_list("lat", "lon", "received_at", "incident_id", "incident__incident_type__code")
        .first()
    )
    if row is None:
        raise Http404
    lat, lon, received_at, incident_id, own_type = row
    return duplicate_candidates(
        lat=lat, lon=lon, incident_type_code=incident_type_code or own_type, at=received_at, exclude_incident_id=incident_id
    )


@dataclass(frozen=True)
class AgencySuggestion:
    agency: Agency
    is_primary: bool
    station: Station | None
    distance_m: float | None
    live: bool


def agency_suggestions(incident: Incident) -> list[AgencySuggestion]:
    """The routing rule's agencies for an incident (primary first) with the nearest post of each."""
    primary, supporting = routing_table().get(incident.incident_type.code, (None, []))
    codes = ([primary] if primary else []) + [c for c in supporting if c != primary]
    agencies = {a.code: a for a in Agency.objects.filter(code__in=codes, active=True).prefetch_related("stations")}
    live = set(incident.dispatches.filter(status__in=Dispatch.ACTIVE).values_list("agency__code", flat=True))
    suggestions = []
    for code in codes:
        agency = agencies.get(code)
        if agency is None:
            continue
        station = nearest_station(agency, incident.lat, incident.lon)
        distance = haversine_m(incident.lat, incident.lon, station.lat, station.lon) if station else None
        suggestions.append(
            AgencySuggestion(agency=agency, is_primary=code == primary, station=station, distance_m=distance, live=code in live)
        )
    return suggestions


def places_named_for(incident: Incident, calls) -> list[dict]:
    """An incident opened without a place: the landmarks, streets and kelurahan its summary and its
    calls' notes name, to offer on its page (as the desk offers them while the notes are typed). Streets
    only as the geocoder answered them before (cached): the page never waits for it."""
    if incident.kelurahan_id or incident.address or incident.lat is not None:
        return []
    from agencies.places import places_mentioned

    return [place.as_dict() for place in places_mentioned(" \n ".join([incident.summary, *(c.notes for c in calls)]), streets="cached")]


def incident_timeline(incident: Incident) -> list:
    """Transitions of the incident and of its dispatches, oldest first."""
    from dispatch.models import DispatchTransition, IncidentTransition

    rows = list(IncidentTransition.objects.filter(incident=incident).select_related("by"))
    rows += list(DispatchTransition.objects.filter(dispatch__incident=incident).select_related("by", "dispatch__agency"))
    return sorted(rows, key=lambda t: (t.at, t.pk))


WALL_ALERT_TYPES = ("alert", "dispatch.escalated")


def recent_wall_alerts(*, hours: int = 24, limit: int = 50) -> list[dict]:
    """The floor's alerts and escalations of the last `hours`, newest first, as the wall lists them:
    kept across a reload of the wall, read from the stored events."""
    from django.utils import timezone

    from dispatch.models import Event

    since = timezone.now() - timedelta(hours=hours)
    rows = Event.objects.filter(type__in=WALL_ALERT_TYPES, created_at__gte=since).order_by("-seq")[:limit]
    return [{"seq": e.seq, "type": e.type, "data": e.data, "at": e.created_at.isoformat()} for e in rows]
def _station_dict(station: Station | None, distance_m: float | None) -> dict | None:
    if station is None:
        return None
    return {
        "name": station.name,
        "distance_m": round(distance_m) if distance_m is not None else None,
        # A post whose point is only an estimate (when the station data says so).
        "approximate": bool(getattr(station, "approximate", False)),
    }


def desk_dispatch_panel(incident_id: int, *, also: list[str] = ()) -> dict | None:
    """The call desk's dispatch panel for an incident: its type, priority and place, and the agencies
    to send: the routing rule's (`agency_suggestions`, primary first) then `also` (the triage
    suggestion's) as supporting, then any other agency already sent; each with its nearest post and
    whether it already has a live dispatch. None if there is no such incident."""
    incident = Incident.objects.select_related("incident_type", "kelurahan__kecamatan").filter(pk=incident_id).first()
    if incident is None:
        return None
    suggestions = agency_suggestions(incident)
    rows = [
        {"code": s.agency.code, "name": s.agency.short_name, "primary": s.is_primary, "live": s.live,
         "station": _station_dict(s.station, s.distance_m)}
        for s in suggestions
    ]
    listed = {row["code"] for row in rows}
    live = set(incident.dispatches.filter(status__in=Dispatch.ACTIVE).values_list("agency__code", flat=True))
    extra = [code for code in dict.fromkeys(list(also) + sorted(live)) if code not in listed]
    for agency in sorted(Agency.objects.filter(code__in=extra, active=True).prefetch_related("stations"), key=lambda a: extra.index(a.code)):
        station = nearest_station(agency, incident.lat, incident.lon)
        distance = haversine_m(incident.lat, incident.lon, station.lat, station.lon) if station else None
        rows.append({"code": agency.code, "name": agency.short_name, "primary": False, "live": agency.code in live,
                     "station": _station_dict(station, distance)})
    kelurahan = incident.kelurahan
    place = ", ".join(part for part in [incident.address, kelurahan.name if kelurahan else "", kelurahan.kecamatan.name if kelurahan else ""] if part)
    has_place = incident.lat is not None or bool(incident.kelurahan_id) or bool(incident.address.strip())
    return {
        "id": incident.pk,
        "url": f"/incidents/{incident.pk}/",
        "incident_type": incident.incident_type.code,
        "label": incident.incident_type.label,
        "priority": incident.priority,
        "status": incident.status,
        "place": place,
        "has_place": has_place,
        "needs_place_reason": incident.priority == 1 and not has_place,
        "agencies": rows,
    }
