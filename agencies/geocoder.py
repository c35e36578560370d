"""Streets named in the operator's notes ("jalan Soeprapto", "jl. S. Parman"), looked up on a
Nominatim-compatible geocoder (`GEOCODER_URL`) and kept only inside Kota Bengkulu.

The landmarks and kelurahan of `agencies.places` are known here; streets are not, so they are asked
of a geocoder, politely: only the street phrase is sent (never the notes), a phrase is asked once its
last word is finished (no lookup per key pressed), answers are cached, and at most one request a
second leaves the process (and, when the cache is shared, the whole deployment). A lookup that
would have to wait for its turn is skipped rather than hold the operator up. Whatever goes wrong
(timeout, HTTP error, a redirect, garbage) means "no streets" and a logged warning, never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from typing import Literal
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache

from agencies.geo import kelurahan_at
from agencies.places import Place
from dispatch.http import FetchRefused, fetch_capped

logger = logging.getLogger(__name__)

# Kota Bengkulu's kelurahan boundaries with a small margin: left, top, right, bottom (lon, lat).
CITY_VIEWBOX = "102.17,-3.73,102.38,-3.99"
CITY_SUFFIX = "Kota Bengkulu"
MAX_WORDS = 4
MAX_LOOKUPS = 2  # street phrases asked per text
PLACES_PER_STREET = 2
MAX_RESPONSE_BYTES = 256 * 1024
FOUND_CACHE_SECONDS = 24 * 3600
NOT_FOUND_CACHE_SECONDS = 3600
FAILURE_CACHE_SECONDS = 60
MIN_INTERVAL_SECONDS = 1.0
SLOT_WAIT_SECONDS = 0.3
SLOT_CACHE_KEY = "geocoder:slot"

_STREET_WORD = re.compile(r"\b(?:jalan|jln|jl)\b\.?", re.IGNORECASE)
_TOKEN = re.compile(r"[ \t]*([A-Za-z0-9][A-Za-z0-9'\-]*)([^\sA-Za-z0-9]*)")
# Words after which a street name does not go on: where on the street, house numbers, the area.
_STOP_WORDS = frozenset({
    "dekat", "depan", "samping", "sebelah", "seberang", "belakang", "ujung", "pojok", "simpang", "persis",
    "sekitar", "arah", "menuju", "ke", "dari", "di", "dan", "atau", "yang", "ada", "itu", "ini", "sini", "sana",
    "no", "nomor", "nmr", "rt", "rw", "gang", "gg", "lorong", "kel", "kelurahan", "kec", "kecamatan", "kota",
    "bengkulu", "jalan", "jln", "jl", "tolong", "pak", "bu", "mas", "mbak", "sudah", "sdh", "lagi", "tadi",
})
# A one-letter initial or a title keeps the name going after its dot ("S. Parman", "Dr. Hazairin").
_TITLES = frozenset({"dr", "ir", "h", "hj", "kh", "prof", "letjen", "mayjen", "brigjen", "jend", "kol", "let", "st"})
# "jalan" in its everyday sense: walking, the road itself, its state.
_NOT_A_NAME = frozenset({
    "raya", "kaki", "utama", "besar", "kecil", "lintas", "tol", "setapak", "umum", "rusak", "licin",
    "berlubang", "macet", "sempit", "gelap", "keluar", "masuk", "pulang", "pelan", "cepat",
})

Mode = Literal["lookup", "cached", "off"]


def street_phrases(text: str, *, still_typing: bool = False) -> list[str]:
    """The street names the text gives, as "Jl. <Name>", first named first, each once.

    With `still_typing`, a word that runs to the end of the text may be half written and is left out.
    """
    phrases: list[str] = []
    for match in _STREET_WORD.finditer(text):
        words = _name_after(text, match.end(), still_typing=still_typing)
        if not words or all(w.lower().rstrip(".") in _NOT_A_NAME for w in words):
            continue
        if sum(c.isalpha() for c in "".join(words)) < 3:
            continue
        phrase = "Jl. " + " ".join(w[:1].upper() + w[1:] for w in words)
        if phrase.lower() not in (p.lower() for p in phrases):
            phrases.append(phrase)
    return phrases


def _name_after(text: str, pos: int, *, still_typing: bool) -> list[str]:
    words: list[str] = []
    while len(words) < MAX_WORDS:
        token = _TOKEN.match(text, pos)
        if token is None:
            break
        word, punctuation = token.group(1), token.group(2)
        lowered = word.lower()
        if still_typing and token.end() == len(text) and not punctuation:
            break  # the word being typed: asked once it is finished
        if lowered in _STOP_WORDS:
            break
        if word.isdigit():
            if words:
                break  # a house number ends the name
            words.append(word)  # a name that starts with a number ("Jl. 9 Desember")
        elif any(c.isdigit() for c in word):
            break
        else:
            words.append(word)
        pos = token.end()
        if punctuation:
            if punctuation == "." and not word.isdigit() and (len(word) == 1 or lowered in _TITLES):
                words[-1] = word + "."
                continue
            break
    return words


def geocoder_enabled() -> bool:
    url = getattr(settings, "GEOCODER_URL", "")
    return bool(url) and geocoder_url_is_valid(url)


def geocoder_url_is_valid(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.username and not parts.password


def street_places(text: str, *, mode: Mode = "lookup", prefer_kelurahan: frozenset[str] = frozenset()) -> list[Place]:
    """The streets the text names, each at up to PLACES_PER_STREET points inside the city with their
    kelurahan (only those in `prefer_kelurahan` when the notes name one of them). `mode` "cached"
    answers from the cache alone (no request); "off", or no GEOCODER_URL, gives nothing."""
    if mode == "off" or not geocoder_enabled():
        return []
    found: list[Place] = []
    for phrase in street_phrases(text, still_typing=mode == "lookup")[:MAX_LOOKUPS]:
        places = _lookup(phrase, network=mode == "lookup")
        preferred = [p for p in places if p.kelurahan_code in prefer_kelurahan]
        found += (preferred or places)[:PLACES_PER_STREET]
    return found


def _cache_key(query: str) -> str:
    normalised = " ".join(query.lower().replace(".", " ").split())
    return "geocoder:search:" + hashlib.sha256(normalised.encode()).hexdigest()[:32]


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception as exc:  # a cache that is down is a miss
        logger.warning("geocoder cache unavailable: %s", exc.__class__.__name__)
        return None


def _cache_set(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception as exc:
        logger.warning("geocoder cache unavailable: %s", exc.__class__.__name__)


def _lookup(phrase: str, *, network: bool) -> list[Place]:
    query = f"{phrase.replace('Jl. ', 'Jalan ', 1)}, {CITY_SUFFIX}"
    key = _cache_key(query)
    cached = _cache_get(key)
    if cached is not None:
        return [Place(*row) for row in cached]
    if not network:
        return []
    if not _take_slot():
        logger.info("geocoder lookup skipped: the one request a second is taken")
        return []
    try:
        results = _search(query)
    except GeocoderError as exc:
        logger.warning("geocoder lookup failed: %s", exc)
        _cache_set(key, [], FAILURE_CACHE_SECONDS)
        return []
    places = _inside_city(results, phrase)
    rows = [(p.kind, p.name, p.lat, p.lon, p.kelurahan_code, p.kelurahan_name, p.kecamatan_name) for p in places]
    _cache_set(key, rows, FOUND_CACHE_SECONDS if places else NOT_FOUND_CACHE_SECONDS)
    return places


class GeocoderError(Exception):
    pass


def _search(query: str) -> list:
    """Nominatim's jsonv2 answer for the query, bounded to the city; GeocoderError for anything else."""
    url = settings.GEOCODER_URL.rstrip("/") + "/search"
    params = {"q": query, "format": "jsonv2", "limit": "3", "countrycodes": "id", "viewbox": CITY_VIEWBOX, "bounded": "1"}
    try:
        body = fetch_capped(
            url, params=params, accept="application/json", max_bytes=MAX_RESPONSE_BYTES,
            timeout=float(settings.GEOCODER_TIMEOUT_SECONDS), whole_answer_within=True,
        )
    except FetchRefused as exc:
        raise GeocoderError(str(exc)) from exc
    except httpx.HTTPError as exc:
        raise GeocoderError(exc.__class__.__name__) from exc
    try:
        results = json.loads(body)
    except ValueError as exc:
        raise GeocoderError("answer is not JSON") from exc
    if not isinstance(results, list):
        raise GeocoderError("answer is not a list")
    return results


def _inside_city(results: list, phrase: str) -> list[Place]:
    places: list[Place] = []
    for item in results:
        if not isinstance(item, dict):
            continue
        try:
            lat, lon = float(item["lat"]), float(item["lon"])
        except (KeyError, TypeError, ValueError):
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        kelurahan = kelurahan_at(lat, lon)
        if kelurahan is None:
            continue  # outside Kota Bengkulu
        if any(p.kelurahan_code == kelurahan.code for p in places):
            continue
        places.append(Place("street", _street_name(item, phrase), lat, lon, kelurahan.code, kelurahan.name,
                            kelurahan.kecamatan.name))
    return places


def _street_name(item: dict, phrase: str) -> str:
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        return phrase
    name = " ".join(name.split())[:120]
    return re.sub(r"^jalan\s+", "Jl. ", name, flags=re.IGNORECASE)


# At most one request a second: per process (a lock and the last request's time) and, through the
# cache's atomic add(), across the processes that share the cache.
_gate_lock = threading.Lock()
_gate = {"last": float("-inf")}
_clock = time.monotonic
_sleep = time.sleep


def reset_rate_limit() -> None:
    with _gate_lock:
        _gate["last"] = float("-inf")


def _shared_slot() -> bool:
    try:
        return bool(cache.add(SLOT_CACHE_KEY, 1, timeout=MIN_INTERVAL_SECONDS))
    except Exception as exc:  # the process's own limit still holds
        logger.warning("geocoder cache unavailable: %s", exc.__class__.__name__)
        return True


def _take_slot() -> bool:
    """The turn to send a request, waited for at most SLOT_WAIT_SECONDS; False when not given."""
    deadline = _clock() + SLOT_WAIT_SECONDS
    while True:
        with _gate_lock:
            now = _clock()
            free_in = _gate["last"] + MIN_INTERVAL_SECONDS - now
            if free_in <= 0 and _shared_slot():
                _gate["last"] = now
                return True
        remaining = deadline - _clock()
        if remaining <= 0:
            return False
        _sleep(min(max(free_in, 0.05), remaining))
