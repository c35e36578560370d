"""Reverse geocoding inside Kota Bengkulu from the kelurahan boundary polygons."""

from __future__ import annotations

import threading

from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from agencies.models import Kelurahan

_lock = threading.Lock()
_index: tuple[STRtree, list[int], list] | None = None


def _build():
    rows = list(Kelurahan.objects.exclude(boundary=None).values_list("id", "boundary"))
    geoms = [shape(boundary) for _, boundary in rows]
    return STRtree(geoms), [pk for pk, _ in rows], geoms


def reset_index() -> None:
    global _index
    with _lock:
        _index = None


def kelurahan_at(lat: float, lon: float) -> Kelurahan | None:
    """The kelurahan whose boundary contains the point, or None outside the city."""
    global _index
    with _lock:
        if _index is None:
            _index = _build()
        tree, ids, geoms = _index
    point = Point(lon, lat)
    for i in tree.query(point):
        if geoms[int(i)].covers(point):
            return Kelurahan.objects.select_related("kecamatan").get(pk=ids[int(i)])
    return None
