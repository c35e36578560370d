"""Loads Kota Bengkulu's reference data from the project's copy of the domain files."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.db import transaction

from agencies.models import Agency, IncidentType, Kecamatan, Kelurahan, Landmark, RoutingRule


def _read(name: str, data_dir: Path | None = None):
    return json.loads(((data_dir or settings.DOMAIN_DATA_DIR) / name).read_text(encoding="utf-8"))


@transaction.atomic
def load_bengkulu(*, data_dir: Path | None = None, overwrite_routing: bool = False) -> dict[str, int]:
    """Create or update agencies, kecamatan, kelurahan (with boundaries) and incident types.

    Routing rules are created when missing; edits made in the product are kept
    unless `overwrite_routing` is set.
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
    return {
        "agencies": Agency.objects.count(),
        "kecamatan": Kecamatan.objects.count(),
        "kelurahan": kelurahan_count,
        "incident_types": IncidentType.objects.count(),
        "landmarks": Landmark.objects.count(),
    }


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
