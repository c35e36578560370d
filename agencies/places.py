"""The places a caller names in the operator's notes: landmarks and kelurahan of Kota Bengkulu.

Callers give a landmark or a neighbourhood more often than an address ("api besar dekat Mega
Mall", "pohon tumbang di Sawah Lebar"). While the operator types, the desk offers the places it
finds; one click puts a landmark on the map, or fills in the kelurahan. A suggestion only: nothing
is set until the operator chooses it.

Names match as whole words, case and punctuation ignored, with the short forms Bengkulu writes
for them (RS, Ps., Kp., Tj., Jl.) read as the long ones. A few kelurahan are also everyday words
or other cities ("kandang ayam", "penurunan", "Surabaya"): those count only after "kelurahan" or
"kel.".
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from agencies.models import Kelurahan, Landmark

# Short forms written in notes and in the reference data, read as the words they stand for.
_SHORT_FORMS = {
    "rs": "rumah sakit",
    "rsud": "rumah sakit umum daerah",
    "ps": "pasar",
    "kp": "kampung",
    "tj": "tanjung",
    "jl": "jalan",
    "jln": "jalan",
    "jemb": "jembatan",
    "cemp": "cempaka",
    "univ": "universitas",
    "kel": "kelurahan",
    "kec": "kecamatan",
}
# Kelurahan whose name, written alone, is usually something else.
_NEEDS_KELURAHAN_WORD = frozenset({"kandang", "penurunan", "berkas", "bajak", "semarang", "surabaya"})
MAX_PLACES = 4
REFRESH_SECONDS = 60


def normalise(text: str) -> str:
    """Lower case, words only, short forms spelt out; padded with spaces so a name matches as whole words."""
    words = re.findall(r"[0-9a-z]+", text.lower())
    return " " + " ".join(_SHORT_FORMS.get(w, w) for w in words) + " "


@dataclass(frozen=True)
class Place:
    kind: str  # "landmark", "street" (agencies.geocoder) or "kelurahan"
    name: str
    lat: float
    lon: float
    kelurahan_code: str | None
    kelurahan_name: str | None
    kecamatan_name: str | None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "kelurahan": {"code": self.kelurahan_code, "name": self.kelurahan_name} if self.kelurahan_code else None,
            "kecamatan": self.kecamatan_name,
        }


@dataclass(frozen=True)
class _Entry:
    place: Place
    keys: tuple[str, ...]  # normalised, padded names


def _keys(names: list[str], *, prefix_only: bool = False) -> tuple[str, ...]:
    keys: list[str] = []
    for name in names:
        key = normalise(re.sub(r"\([^)]*\)", " ", name) if "(" in name else name)
        if key.strip() and key not in keys:
            keys.append(" kelurahan" + key if prefix_only else key)
    return tuple(keys)


def _build() -> tuple[list[_Entry], list[_Entry]]:
    landmarks = [
        _Entry(
            Place("landmark", mark.name, mark.lat, mark.lon, mark.kelurahan.code if mark.kelurahan else None,
                  mark.kelurahan.name if mark.kelurahan else None,
                  mark.kelurahan.kecamatan.name if mark.kelurahan else None),
            _keys([mark.name, *mark.aliases]),
        )
        for mark in Landmark.objects.select_related("kelurahan__kecamatan")
    ]
    kelurahan = []
    for kel in Kelurahan.objects.select_related("kecamatan"):
        names = [kel.name, *kel.aliases]
        place = Place("kelurahan", kel.name, kel.lat, kel.lon, kel.code, kel.name, kel.kecamatan.name)
        keys = _keys(names, prefix_only=normalise(kel.name).strip() in _NEEDS_KELURAHAN_WORD)
        kelurahan.append(_Entry(place, keys))
    return landmarks, kelurahan


_lock = threading.Lock()
_index: dict = {"entries": None, "built": 0.0}


def reset_places() -> None:
    """Forget the index (the reference data was reloaded); the next lookup reads it again."""
    with _lock:
        _index.update(entries=None, built=0.0)


def _entries() -> tuple[list[_Entry], list[_Entry]]:
    with _lock:
        entries = _index["entries"]
        if entries is not None and time.monotonic() - _index["built"] < REFRESH_SECONDS:
            return entries
    entries = _build()  # outside the lock: a database read; two threads building at once is harmless
    with _lock:
        _index.update(entries=entries, built=time.monotonic())
    return entries


def places_mentioned(text: str, *, streets: str = "off") -> list[Place]:
    """The landmarks, the streets, then the kelurahan, named in the text, each group in the order the
    text names them. Streets come from the geocoder (`agencies.geocoder`): `streets="lookup"` may ask
    it, "cached" takes only what it answered before, "off" (the default) leaves streets out."""
    normalised = normalise(text)
    if not normalised.strip():
        return []
    landmarks, kelurahan = _entries()
    groups: list[list[Place]] = []
    for group in (landmarks, kelurahan):
        hits = []
        for entry in group:
            matched = [key for key in entry.keys if key in normalised]
            if matched:  # first named first; at one place, the longer name first
                hits.append((min(normalised.find(key) for key in matched), -max(map(len, matched)), entry.place))
        groups.append([place for _, _, place in sorted(hits, key=lambda h: h[:2])])
    found_landmarks, found_kelurahan = groups
    found_streets: list[Place] = []
    if streets != "off":
        from agencies.geocoder import street_places

        named = frozenset(p.kelurahan_code for p in found_kelurahan)
        found_streets = street_places(text, mode=streets, prefer_kelurahan=named)
    # A kelurahan already given by a landmark or a street found in it adds nothing.
    given = {p.kelurahan_code for p in (*found_landmarks, *found_streets)}
    found = [*found_landmarks, *found_streets, *(p for p in found_kelurahan if p.kelurahan_code not in given)]
    return _without_contained(found, normalised)[:MAX_PLACES]


def _without_contained(found: list[Place], normalised: str) -> list[Place]:
    """Drop a kelurahan whose name only matched inside a longer one ("Sawah Lebar" in "Sawah Lebar Baru")."""
    names = {p.name: normalise(p.name) for p in found if p.kind == "kelurahan"}
    kept = []
    for place in found:
        key = names.get(place.name)
        if key and any(other != key and key in other and normalised.count(key) <= normalised.count(other)
                       for other in names.values()):
            continue
        kept.append(place)
    return kept
