"""Loads Kota Bengkulu's reference data from the project's copy of the domain files."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.db import transaction

from agencies.models import Agency, IncidentType, Kecamatan, Kelurahan, Landmark, RoutingRule, Station


def _read(name: str, data_dir: Path | None = None):
    return json.loads(((data_dir or settings.DOMAIN_DATA_DIR) / name).read_text(encoding="utf-8"))


@transaction.atomic
def load_bengkulu(*, data_dir: Path | None = None, overwrite_routing: bool = False, stations: bool = True) -> dict[str, int]:
    """Create or update agencies, kecamatan, kelurahan (with boundaries) and incident types.

    Routing rules are created when missing; edits made in the product are kept
    unless `overwrite_routing` is set. The agencies' posts (`load_stations`) too, unless
    `stations` is false.
    """
    city = _read("bengkulu.json", data_dir)
    taxonomy = _read("taxonomy.json", data_dir)
    geo = _read("kelurahan.geojson", data_dir)
    boundaries = {f["properties"]["kode"]: f["geometry"] for f in geo["features"]}

    for a in city["agencies"]:
        Agency.objects.update_or_create(
            code=a["code"], defaults={"short_name": a["short_name"], "name": a["name"], "role": a.get("role", "")}
        )
    kelurahan_count = 0
    for kec in city["kecamatan"]:
        kecamatan, _ = Kecamatan.objects.update_or_create(
            code=kec["code"], defaults={"name": kec["name"], "lat": kec["centroid"]["lat"], "lon": kec["centroid"]["lon"]}
        )
        for kel in kec["kelurahan"]:
            Kelurahan.objects.update_or_create(
                code=kel["code"],
                defaults={
                    "name": kel["name"],
                    "aliases": kel.get("aliases", []),
                    "kecamatan": kecamatan,
                    "lat": kel["lat"],
                    "lon": kel["lon"],
                    "boundary": boundaries.get(kel["code"]),
                },
            )
            kelurahan_count += 1
    agencies = {a.code: a for a in Agency.objects.all()}
    for t in taxonomy["incident_types"]:
        itype, _ = IncidentType.objects.update_or_create(
            code=t["code"],
            defaults={"label_id": t["label_id"], "label_en": t["label_en"], "priority": t["priority"], "keywords": t["keywords"]},
        )
        rule = RoutingRule.objects.filter(incident_type=itype).first()
        if rule is None or overwrite_routing:
            rule, _ = RoutingRule.objects.update_or_create(
                incident_type=itype, defaults={"primary_agency": agencies[t["primary_agency"]]}
            )
            rule.supporting_agencies.set([agencies[c] for c in t["supporting_agencies"] if c in agencies])
    from agencies.geo import kelurahan_at, reset_index

    reset_index()  # the boundaries may have changed: the landmarks' kelurahan are looked up afresh
    for mark in city.get("landmarks", []):
        _rename_landmark(mark.get("formerly", []), mark["name"])
        existing = Landmark.objects.filter(name=mark["name"]).first()
        Landmark.objects.update_or_create(
            name=mark["name"],
            defaults={
                # Names added in the product are kept; the data's own come first.
                "aliases": _unique([*mark.get("aliases", []), *landmark_aliases(mark["name"]),
                                    *(existing.aliases if existing else [])]),
                "lat": mark["lat"],
                "lon": mark["lon"],
                "kelurahan": kelurahan_at(mark["lat"], mark["lon"]),
            },
        )
    from agencies.places import reset_places

    reset_places()
    loaded = load_stations(data_dir=data_dir) if stations else {"stations": Station.objects.count()}
    return {
        "agencies": Agency.objects.count(),
        "kecamatan": Kecamatan.objects.count(),
        "kelurahan": kelurahan_count,
        "incident_types": IncidentType.objects.count(),
        "landmarks": Landmark.objects.count(),
        "stations": loaded["stations"],
        "stations_without_point": loaded.get("without_point", 0),
        "stations_edited_kept": loaded.get("edited_kept", 0),
        "stations_not_an_agency": loaded.get("not_an_agency", 0),
    }


STATION_FIELDS = ("name", "address", "lat", "lon", "approximate")


def load_stations(*, data_dir: Path | None = None) -> dict[str, int]:
    """Create or update the agencies' posts from `stations.json` (idempotent).

    No position in the file is official, so every point loaded is `approximate`: the post's own
    point where a source gives one, else the landmark a source places it at, else the centre of
    its kelurahan; a post with none of these has no point. A post edited in the product (its name,
    address, position or `approximate` differ from what the loader last wrote) is left as it is;
    only its source and confidence note are refreshed. Posts of bodies that are not a dispatch
    agency (other hospitals, the Polda) stay in the file only.
    """
    path = (data_dir or settings.DOMAIN_DATA_DIR) / "stations.json"
    if not path.exists():
        return {"stations": Station.objects.count(), "without_point": 0, "edited_kept": 0, "not_an_agency": 0}
    records = json.loads(path.read_text(encoding="utf-8"))
    agencies = {a.code: a for a in Agency.objects.all()}
    centres = {k.code: k for k in Kelurahan.objects.all()}
    counts = {"without_point": 0, "edited_kept": 0, "not_an_agency": 0}
    for record in records:
        agency = agencies.get(record.get("agency") or "")
        if agency is None:
            counts["not_an_agency"] += 1
            continue
        values, source, note = _station_values(record, centres)
        if values["lat"] is None:
            counts["without_point"] += 1
        station = Station.objects.filter(external_id=record["id"]).first()
        if station is None:
            station = Station.objects.filter(agency=agency, name=values["name"]).first()
        if station is None:
            Station.objects.create(
                agency=agency, external_id=record["id"], source=source, confidence_note=note, loaded_values=values, **values
            )
            continue
        current = {field: getattr(station, field) for field in STATION_FIELDS}
        station.external_id, station.source, station.confidence_note = record["id"], source, note
        update = ["external_id", "source", "confidence_note", "loaded_values"]
        # Edited in the product since the last load, or made there under this name: it stays as it is.
        edited = current != (station.loaded_values if station.loaded_values is not None else values)
        if edited:
            counts["edited_kept"] += 1
        else:
            for field, value in values.items():
                setattr(station, field, value)
            update += [*STATION_FIELDS]
        station.loaded_values = values
        station.save(update_fields=update)
    counts["stations"] = Station.objects.count()
    return counts


def _station_values(record: dict, centres: dict[str, Kelurahan]) -> tuple[dict, str, str]:
    """The model values of one post of stations.json, its source and its confidence note."""
    notes = [f"Confidence: {record.get('confidence') or 'not stated'}."]
    sources: list[str] = []
    lat = lon = None
    if record.get("lat") is not None and record.get("lon") is not None:
        lat, lon = float(record["lat"]), float(record["lon"])
        notes.append(f"Point of the post itself, from an unofficial source: {record.get('coord_quality') or 'not described'}.")
        sources.append(f"Point: {record.get('coord_source')}")
    elif record.get("landmark_lat") is not None and record.get("landmark_lon") is not None:
        lat, lon = float(record["landmark_lat"]), float(record["landmark_lon"])
        notes.append(f"Point of the landmark the sources place it at ({record.get('landmark_name')}), not of the post.")
        sources.append(f"Landmark point: {record.get('landmark_source')}")
    elif record.get("kelurahan_code") in centres:
        kelurahan = centres[record["kelurahan_code"]]
        lat, lon = kelurahan.lat, kelurahan.lon
        notes.append(f"Centre of kelurahan {kelurahan.name}: no source gives the post's position.")
    else:
        notes.append("No source gives the post's position.")
    if record.get("notes"):
        notes.append(record["notes"])
    sources.extend(record.get("source_urls") or [])
    values = {
        "name": record["name"][:200],
        "address": (record.get("address") or "")[:300],
        "lat": lat,
        "lon": lon,
        # None of the positions is official.
        "approximate": lat is not None,
    }
    return values, "\n".join(s for s in sources if s), " ".join(notes)


def _rename_landmark(former_names: list[str], name: str) -> None:
    """A landmark the data now names otherwise keeps its row (and the aliases added to it) under the new name."""
    if not former_names or Landmark.objects.filter(name=name).exists():
        return
    former = Landmark.objects.filter(name__in=former_names).first()
    if former is not None:
        former.name = name
        former.save(update_fields=["name"])


def _unique(names: list[str]) -> list[str]:
    """The names in order, each once (case ignored)."""
    seen: set[str] = set()
    return [n for n in names if not (n.casefold() in seen or seen.add(n.casefold()))]


def landmark_aliases(name: str) -> list[str]:
    """Other names a landmark's own name gives: a parenthesis of capitalised words is one
    ("Universitas Bengkulu (UNIB)", "Simpang Lima (Ratu Samban)"), a lower-case one only
    describes the place ("Pantai Panjang (ujung utara)")."""
    return [inner for inner in re.findall(r"\(([^)]*)\)", name) if inner and all(w[:1].isupper() for w in inner.split())]
