"""Reading hazard messages: InaTEWS CAP 1.2 XML and BMKG's earthquake JSON feed.

Nothing here touches the database. XML is parsed by defusedxml (no DTD, no entities, no external
fetch) under a size limit, then validated against the official OASIS CAP 1.2 schema, so a message
either yields a complete `ParsedAlert` or raises `HazardParseError` with a reason a person can read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element  # nosec B405 - only the type; parsing goes through defusedxml

import defusedxml.ElementTree as SafeET
import xmlschema
from defusedxml import DefusedXmlException

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "CAP-v1.2.xsd"
# A CAP earthquake or tsunami message is a few kilobytes; anything far larger is refused unread.
MAX_MESSAGE_BYTES = 256 * 1024
WARNING_LEVELS = ("awas", "siaga", "waspada")  # most to least severe (InaTEWS)
WIB = dt_timezone(timedelta(hours=7))


class HazardParseError(ValueError):
    pass


@dataclass
class ParsedAlert:
    identifier: str
    sender: str
    sent: datetime
    msg_type: str  # alert update cancel ack error
    status: str = "Actual"
    event: str = ""
    headline: str = ""
    expires: datetime | None = None
    references: list[str] = field(default_factory=list)
    magnitude: float | None = None
    depth_km: float | None = None
    lat: float | None = None
    lon: float | None = None
    area: str = ""
    felt: str = ""
    tsunami: str = ""
    # Tsunami warning level per coastal area named in the message: {"Kota Bengkulu": "awas", ...}
    warning_levels: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def cap_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def _number(text: str | None) -> float | None:
    match = re.search(r"-?\d+(?:[.,]\d+)?", text or "")
    return float(match.group(0).replace(",", ".")) if match else None


def _datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    return value


def parse_cap(data: bytes) -> ParsedAlert:
    """A CAP 1.2 message, hardened and schema-checked. HazardParseError for anything else."""
    if not data or not data.strip():
        raise HazardParseError("empty message")
    if len(data) > MAX_MESSAGE_BYTES:
        raise HazardParseError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise HazardParseError(f"forbidden XML construct: {exc.__class__.__name__}") from exc
    except SafeET.ParseError as exc:
        raise HazardParseError(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{{{CAP_NS}}}alert":
        raise HazardParseError("not a CAP 1.2 alert (root element must be alert in urn:oasis:names:tc:emergency:cap:1.2)")
    errors = list(cap_schema().iter_errors(root))
    if errors:
        first = errors[0]
        raise HazardParseError(f"not valid CAP 1.2: {first.reason or first.message} at {first.path or '/'}")
    return _read_cap(root)


def _text(element: Element | None, name: str) -> str:
    if element is None:
        return ""
    child = element.find(f"{{{CAP_NS}}}{name}")
    return (child.text or "").strip() if child is not None else ""


def _values(element: Element, name: str) -> list[tuple[str, str]]:
    """valueName/value pairs of `parameter`, `geocode` or `eventCode` children."""
    return [(_text(pair, "valueName"), _text(pair, "value")) for pair in element.findall(f"{{{CAP_NS}}}{name}")]


def _read_cap(root: Element) -> ParsedAlert:
    alert = ParsedAlert(
        identifier=_text(root, "identifier"),
        sender=_text(root, "sender"),
        sent=_datetime(_text(root, "sent")),
        msg_type=_text(root, "msgType").lower(),
        status=_text(root, "status"),
        references=[triple.split(",")[1] for triple in _text(root, "references").split() if triple.count(",") >= 2],
    )
    infos = root.findall(f"{{{CAP_NS}}}info")
    # InaTEWS sends Indonesian first; prefer it, else the first info block.
    info = next((i for i in infos if _text(i, "language").lower().startswith("id")), infos[0] if infos else None)
    if info is None:
        return alert
    alert.event = _text(info, "event")
    alert.headline = _text(info, "headline")
    if _text(info, "expires"):
        alert.expires = _datetime(_text(info, "expires"))
    for name, value in _values(info, "parameter"):
        key = re.sub(r"[^a-z]", "", name.lower())
        if key in ("magnitude", "magnitudo", "mag"):
            alert.magnitude = _number(value)
        elif key in ("depth", "kedalaman"):
            alert.depth_km = _number(value)
        elif key in ("potential", "potensi", "tsunamipotential"):
            alert.tsunami = value
        elif key in ("felt", "dirasakan"):
            alert.felt = value
        elif key in ("wilayah", "location", "region"):
            alert.area = value
    if alert.magnitude is None:
        alert.magnitude = _number((re.search(r"kekuatan\s*:?\s*([\d.,]+)", alert.headline, re.I) or [None, ""])[1])
    for area in info.findall(f"{{{CAP_NS}}}area"):
        desc = _text(area, "areaDesc")
        if not alert.area:
            alert.area = desc
        if alert.lat is None:
            alert.lat, alert.lon = _area_point(area)
        level = next((v.lower() for n, v in _values(area, "geocode") if "level" in n.lower() and v.lower() in WARNING_LEVELS), "")
        if level:
            alert.warning_levels[desc] = level
    if "tsunami" in alert.event.lower() and not alert.tsunami:
        alert.tsunami = alert.event
    if not alert.area:
        match = re.search(r"\(([^)]+)\)", alert.headline)
        alert.area = match.group(1) if match else ""
    return alert


def _area_point(area: Element) -> tuple[float | None, float | None]:
    """The epicentre: a circle's centre ("lat,lon radius"), else the first vertex of a polygon, else a point geocode."""
    circle = _text(area, "circle")
    if circle:
        centre = circle.split()[0].split(",")
        return float(centre[0]), float(centre[1])
    for name, value in _values(area, "geocode"):
        if name.lower() in ("point", "coordinates", "epicenter", "episenter") and "," in value:
            lat, lon = value.split(",")[:2]
            return float(lat), float(lon)
    polygon = _text(area, "polygon")
    if polygon:
        lat, lon = polygon.split()[0].split(",")[:2]
        return float(lat), float(lon)
    return None, None


# BMKG's JSON feed: {"Infogempa": {"gempa": {...}}} (autogempa) or {"gempa": [...]} (the lists).
MAX_FEED_BYTES = 1024 * 1024


def parse_bmkg_feed(data: bytes, *, sender: str = "BMKG", expires_after: timedelta = timedelta(hours=6)) -> list[ParsedAlert]:
    """The quakes of a BMKG JSON feed, as alerts keyed by their UTC DateTime. HazardParseError for garbage."""
    if len(data) > MAX_FEED_BYTES:
        raise HazardParseError("feed larger than 1 MB")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HazardParseError(f"feed is not JSON: {exc}") from exc
    gempa = document.get("Infogempa", {}).get("gempa") if isinstance(document, dict) and isinstance(document.get("Infogempa"), dict) else None
    if isinstance(gempa, dict):
        gempa = [gempa]
    if not isinstance(gempa, list):
        raise HazardParseError("feed has no Infogempa.gempa")
    return [_read_quake(item, sender=sender, expires_after=expires_after) for item in gempa]


def _read_quake(item: Any, *, sender: str, expires_after: timedelta) -> ParsedAlert:
    if not isinstance(item, dict):
        raise HazardParseError("a gempa entry is not an object")
    try:
        sent = _datetime(str(item["DateTime"]))
        lat, lon = (float(part) for part in str(item["Coordinates"]).split(",")[:2])
        magnitude = float(str(item["Magnitude"]).replace(",", "."))
    except (KeyError, ValueError, TypeError) as exc:
        raise HazardParseError(f"a gempa entry lacks DateTime, Coordinates or Magnitude: {exc}") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise HazardParseError("a gempa entry has coordinates out of range")
    local = sent.astimezone(WIB)
    return ParsedAlert(
        identifier=f"BMKG-gempa-{sent.astimezone(dt_timezone.utc):%Y%m%d%H%M%S}",
        sender=sender,
        sent=sent,
        msg_type="alert",
        event="Gempabumi",
        headline=f"Info Gempa M{magnitude:.1f}, {local:%d-%b-%y %H:%M:%S} WIB, ({str(item.get('Wilayah', ''))[:200]})",
        expires=sent + expires_after,
        magnitude=magnitude,
        depth_km=_number(str(item.get("Kedalaman", ""))),
        lat=lat,
        lon=lon,
        area=str(item.get("Wilayah", ""))[:500],
        felt=str(item.get("Dirasakan", ""))[:500],
        tsunami=str(item.get("Potensi", ""))[:255],
    )
