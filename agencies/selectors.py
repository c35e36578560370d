"""Reads about agencies, roles and reference data shared by views, APIs and consumers."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.http import Http404

from agencies.models import Agency, Kelurahan, Membership, RoutingRule, Station

FLOOR_ROLES = ("operator", "supervisor", "admin")


@dataclass(frozen=True)
class Actor:
    """What the dashboard needs to know about the person acting."""

    role: str | None
    agency_code: str | None

    @property
    def on_floor(self) -> bool:
        return self.role in FLOOR_ROLES

    @property
    def is_agency_staff(self) -> bool:
        return self.role == Membership.Role.AGENCY

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")

    @property
    def role_label(self) -> str:
        """The role as the header shows it, in the user's language."""
        return Membership.Role(self.role).label if self.role in Membership.Role.values else ""


NOBODY = Actor(role=None, agency_code=None)


def actor_for_user(user) -> Actor:
    """The role and agency of a user; superusers count as admins."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_dispatch_actor", None)
    if cached is not None:
        return cached
    if Membership.user.field.remote_field.is_cached(user):
        # Loaded with the user (token authentication reads both in one query).
        membership = getattr(user, "membership", None)
    else:
        membership = Membership.objects.select_related("agency").filter(user=user).first()
    if membership is not None:
        actor = Actor(role=membership.role, agency_code=membership.agency.code if membership.agency_id else None)
    elif user.is_superuser:
        actor = Actor(role="admin", agency_code=None)
    else:
        actor = NOBODY
    user._dispatch_actor = actor
    return actor


def routing_table() -> dict[str, tuple[str, list[str]]]:
    """incident type code -> (primary agency, supporting agencies), as admins last set it."""
    table: dict[str, tuple[str, list[str]]] = {}
    rules = RoutingRule.objects.select_related("incident_type", "primary_agency").prefetch_related("supporting_agencies")
    for rule in rules:
        supporting = sorted(a.code for a in rule.supporting_agencies.all())
        table[rule.incident_type.code] = (rule.primary_agency.code, supporting)
    return table


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def nearest_station(agency: Agency, lat: float | None, lon: float | None) -> Station | None:
    """The agency's post nearest the point, among the posts with a position."""
    found = nearest_post(agency, lat, lon)
    return found.station if found else None


@dataclass(frozen=True)
class NearestPost:
    """A post and how far it is from a place; `approximate` when its position is not checked."""

    station: Station
    distance_m: float

    @property
    def approximate(self) -> bool:
        return self.station.approximate

    def as_dict(self) -> dict:
        return {
            "id": self.station.pk,
            "name": self.station.name,
            "distance_m": round(self.distance_m),
            "approximate": self.station.approximate,
        }


def nearest_post(agency: Agency, lat: float | None, lon: float | None) -> NearestPost | None:
    """The agency's post nearest the point, with its distance (posts without a position never count)."""
    if lat is None or lon is None:
        return None
    stations = [s for s in agency.stations.all() if s.has_point]
    if not stations:
        return None
    distances = [(haversine_m(lat, lon, s.lat, s.lon), s.pk, s) for s in stations]
    distance, _, station = min(distances, key=lambda row: row[:2])
    return NearestPost(station=station, distance_m=distance)


def post_of(station: Station | None, lat: float | None, lon: float | None) -> dict | None:
    """`{"id", "name", "distance_m", "approximate"}` of a chosen post seen from a place (distance null
    when either has no position), for the agency card; None without a post."""
    if station is None:
        return None
    distance = haversine_m(lat, lon, station.lat, station.lon) if (station.has_point and lat is not None and lon is not None) else None
    return {
        "id": station.pk,
        "name": station.name,
        "distance_m": round(distance) if distance is not None else None,
        "approximate": station.approximate,
    }


# Agency staff who hold this permission (through the group "Admin instansi") place their own
# agency's posts; admins place any agency's.
STATION_EDIT_PERMISSION = "agencies.change_station"
AGENCY_ADMIN_GROUP = "Admin instansi"
ALL_AGENCIES = "*"


def post_edit_scope(user) -> str | None:
    """Whose posts a user may place: `ALL_AGENCIES` for an admin, the agency's code for an agency
    admin (agency staff with `agencies.change_station`), None for everyone else."""
    actor = actor_for_user(user)
    if actor.role == Membership.Role.ADMIN:
        return ALL_AGENCIES
    if actor.is_agency_staff and actor.agency_code and user.has_perm(STATION_EDIT_PERMISSION):
        return actor.agency_code
    return None


def stations_editable_by(user):
    """The posts a user may place (none for a user who may place no post)."""
    scope = post_edit_scope(user)
    if scope is None:
        return Station.objects.none()
    stations = Station.objects.select_related("agency")
    return stations if scope == ALL_AGENCIES else stations.filter(agency__code=scope)


def station_for_editor(user, station_id) -> Station:
    """A post the user may place; 404 for another agency's post, an unknown one, or any post when
    the user may place none."""
    station = stations_editable_by(user).filter(pk=station_id).first() if str(station_id).isdigit() else None
    if station is None:
        raise Http404("Pos tidak ditemukan.")
    return station


def stations_on_map():
    """Every post with a point, with its agency, for the posts map."""
    return Station.objects.select_related("agency").exclude(lat=None).exclude(lon=None)


def kelurahan_options():
    return Kelurahan.objects.select_related("kecamatan").order_by("name")
