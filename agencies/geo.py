"""Reverse geocoding inside Kota Bengkulu from the kelurahan boundary polygons, and the checked
location of a call or an incident."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from agencies.models import Kelurahan
from dispatch.errors import InvalidInput

_lock = threading.Lock()
_index: tuple[STRtree, list[str], list] | None = None


def _build():
    rows = list(Kelurahan.objects.exclude(boundary=None).values_list("code", "boundary"))
    geoms = [shape(boundary) for _, boundary in rows]
    return STRtree(geoms), [code for code, _ in rows], geoms


def reset_index() -> None:
    global _index
    with _lock:
        _index = None


def _code_at(lat: float, lon: float) -> str | None:
    global _index
    with _lock:
        if _index is None:
            _index = _build()
        tree, codes, geoms = _index
    point = Point(lon, lat)
    for i in tree.query(point):
        if geoms[int(i)].covers(point):
            return codes[int(i)]
    return None


def kelurahan_at(lat: float, lon: float) -> Kelurahan | None:
    """The kelurahan whose boundary contains the point, or None outside the city."""
    for attempt in range(2):
        code = _code_at(lat, lon)
        if code is None:
            return None
        kelurahan = Kelurahan.objects.select_related("kecamatan").filter(code=code).first()
        if kelurahan is not None:
            return kelurahan
        reset_index()  # the reference data was reloaded or edited since the index was built
    return None


@dataclass(frozen=True)
class Location:
    """A place as an operator gives it: a point, an address or landmark, a kelurahan; any of them."""

    lat: float | None = None
    lon: float | None = None
    address: str = ""
    kelurahan_code: str = ""


def resolve_location(location: Location | None) -> dict[str, Any]:
    """The model fields of a checked location; its kelurahan from the point when none is given."""
    if location is None:
        return {}
    fields: dict[str, Any] = {"address": (location.address or "")[:300]}
    if (location.lat is None) != (location.lon is None):
        raise InvalidInput(_("Lintang dan bujur harus diisi keduanya."), field="location")
    kelurahan = None
    if location.kelurahan_code:
        kelurahan = Kelurahan.objects.filter(code=location.kelurahan_code).first()
        if kelurahan is None:
            raise InvalidInput(
                _("Kode kelurahan tidak dikenal: %(code)s") % {"code": location.kelurahan_code}, field="location"
            )
    if location.lat is not None:
        lat, lon = float(location.lat), float(location.lon)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInput(_("Koordinat tidak mungkin: lintang -90..90, bujur -180..180."), field="location")
        found = kelurahan_at(lat, lon)
        fields.update(lat=lat, lon=lon, outside_city=found is None)
        if kelurahan is None:
            kelurahan = found
    fields["kelurahan"] = kelurahan
    return fields


# Metres per degree near Kota Bengkulu (3.8° S): the cosine of the latitude is 0.998, so a degree
# of longitude and of latitude are the same length to well within what a tolerance needs.
METRES_PER_DEGREE = 111_320.0


def metres_outside_city(lat: float, lon: float) -> float | None:
    """How far a point lies outside Kota Bengkulu's kelurahan boundaries: 0 inside, None when no
    boundary is loaded."""
    global _index
    with _lock:
        if _index is None:
            _index = _build()
        tree, codes, geoms = _index
    if not geoms:
        return None
    point = Point(lon, lat)
    nearest = geoms[int(tree.nearest(point))]
    return 0.0 if nearest.covers(point) else nearest.distance(point) * METRES_PER_DEGREE
