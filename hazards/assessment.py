"""Whether an alert concerns Kota Bengkulu, as data: distance, magnitude, felt intensity, tsunami.

Pure functions over a ParsedAlert, the thresholds and the kecamatan centroids; the service stores
the result with the alert so the disaster board can show why a quake did or did not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agencies.selectors import haversine_m
from hazards.parsing import WARNING_LEVELS, ParsedAlert

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10, "XI": 11, "XII": 12}
# "Bengkulu" in BMKG's Dirasakan is the city; the regencies are named in full (Bengkulu Utara, ...).
CITY_NAMES = ("bengkulu", "kota bengkulu")
# Kota Bengkulu's centre, for when no geography has been loaded.
CITY_CENTRE = (-3.8, 102.27)
_FELT_ENTRY = re.compile(r"^\s*([IVX]+)(?:\s*-\s*([IVX]+))?\s+(.+?)\s*$")


@dataclass(frozen=True)
class Thresholds:
    felt_mmi_min: int = 3
    magnitude_min: float = 5.0
    radius_km: float = 150.0
    tsunami_radius_km: float = 1000.0


@dataclass(frozen=True)
class Assessment:
    kind: str  # "" | "earthquake_felt" | "tsunami"
    distance_km: float | None
    mmi_bengkulu: int | None
    nearest_kecamatan: str
    nearest_kecamatan_km: float | None
    tsunami_level: str
    reasons: tuple[str, ...]


def felt_intensity(felt: str, places: tuple[str, ...] = CITY_NAMES) -> int | None:
    """The highest MMI that `Dirasakan` gives for Kota Bengkulu ("III-IV Bengkulu, II Kaur" -> 4)."""
    best = None
    for entry in re.split(r"[,;]", felt or ""):
        match = _FELT_ENTRY.match(entry.strip())
        if not match:
            continue
        low, high, place = match.group(1), match.group(2), match.group(3)
        if place.strip().lower().rstrip(".") not in places:
            continue
        values = [ROMAN.get(low.upper()), ROMAN.get((high or low).upper())]
        values = [v for v in values if v]
        if values:
            best = max(best or 0, *values)
    return best


def has_tsunami_potential(potensi: str) -> bool:
    text = (potensi or "").lower()
    return "tsunami" in text and not re.search(r"tidak\s+berpotensi|no\s+tsunami|not\s+", text)


def bengkulu_warning_level(levels: dict[str, str]) -> str:
    """The most severe InaTEWS level given to a coastal area of Bengkulu ("" if none)."""
    found = [level for area, level in levels.items() if "bengkulu" in area.lower() and level in WARNING_LEVELS]
    return min(found, key=WARNING_LEVELS.index) if found else ""


def city_centre(kecamatan: list[tuple[str, float, float]]) -> tuple[float, float]:
    if not kecamatan:
        return CITY_CENTRE
    return sum(k[1] for k in kecamatan) / len(kecamatan), sum(k[2] for k in kecamatan) / len(kecamatan)


def assess(alert: ParsedAlert, *, thresholds: Thresholds, kecamatan: list[tuple[str, float, float]]) -> Assessment:
    """`kecamatan`: (name, lat, lon) centroids of the loaded geography."""
    distance = nearest = nearest_km = None
    if alert.lat is not None and alert.lon is not None:
        clat, clon = city_centre(kecamatan)
        distance = round(haversine_m(alert.lat, alert.lon, clat, clon) / 1000, 1)
        if kecamatan:
            name, lat, lon = min(kecamatan, key=lambda k: haversine_m(alert.lat, alert.lon, k[1], k[2]))
            nearest, nearest_km = name, round(haversine_m(alert.lat, alert.lon, lat, lon) / 1000, 1)
    mmi = felt_intensity(alert.felt)
    level = bengkulu_warning_level(alert.warning_levels)
    reasons: list[str] = []
    if level:
        reasons.append(f"tsunami warning {level} for Bengkulu")
    if has_tsunami_potential(alert.tsunami) and distance is not None and distance <= thresholds.tsunami_radius_km:
        reasons.append(f"tsunami potential within {thresholds.tsunami_radius_km:g} km")
    if reasons:
        kind = "tsunami"
    else:
        if mmi is not None and mmi >= thresholds.felt_mmi_min:
            reasons.append(f"felt in Kota Bengkulu at MMI {mmi}")
        if (alert.magnitude is not None and alert.magnitude >= thresholds.magnitude_min
                and distance is not None and distance <= thresholds.radius_km):
            reasons.append(f"M{alert.magnitude:g} within {thresholds.radius_km:g} km")
        kind = "earthquake_felt" if reasons else ""
    return Assessment(kind=kind, distance_km=distance, mmi_bengkulu=mmi, nearest_kecamatan=nearest or "",
                      nearest_kecamatan_km=nearest_km, tsunami_level=level, reasons=tuple(reasons))
