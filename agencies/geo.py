"""Reverse geocoding inside Kota Bengkulu from the kelurahan boundary polygons."""

from __future__ import annotations

import threading

from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from agencies.models import Kelurahan

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
