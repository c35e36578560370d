"""Streets named in the notes, looked up on a Nominatim-compatible geocoder and kept inside the city."""

from __future__ import annotations

import logging
import threading

import pytest
from django.core.cache import cache

from agencies import geocoder
from agencies.geo import kelurahan_at
from agencies.geocoder import CITY_VIEWBOX, street_phrases, street_places
from agencies.models import Landmark
from agencies.places import places_mentioned
from tests.nominatim import result

pytestmark = pytest.mark.django_db

OUTSIDE_CITY = (-3.60, 102.30)


def _point(name: str) -> tuple[float, float]:
    mark = Landmark.objects.get(name=name)
    return mark.lat, mark.lon


@pytest.mark.parametrize(("text", "phrases"), [
    ("kebakaran di jalan soeprapto dekat pasar", ["Jl. Soeprapto"]),
    ("rumah no 12, jl. S. Parman no 12", ["Jl. S. Parman"]),
    ("jln Kapuas Raya, rumah warna hijau", ["Jl. Kapuas Raya"]),
    ("jl sudirman 45 dan jalan Hibrida depan masjid", ["Jl. Sudirman", "Jl. Hibrida"]),
    ("Jl. Dr. Hazairin depan sekolah", ["Jl. Dr. Hazairin"]),
    ("jalan Soeprapto lalu JALAN SOEPRAPTO lagi", ["Jl. Soeprapto Lalu", "Jl. SOEPRAPTO"]),
    ("jalan salak merah manis sekali panjang", ["Jl. Salak Merah Manis Sekali"]),
    ("korban sedang jalan kaki ke pasar", []),
    ("pohon tumbang menutup jalan raya", []),
    ("di jalan, dekat jl. 12", []),
    ("", []),
])
def test_the_street_names_in_the_notes_are_read_up_to_where_the_name_ends(text, phrases):
    assert street_phrases(text) == phrases


def test_a_word_still_being_typed_is_not_looked_up():
    assert street_phrases("api di jalan Soepr", still_typing=True) == []
    assert street_phrases("api di jalan Soeprapto Ra", still_typing=True) == ["Jl. Soeprapto"]
    assert street_phrases("api di jalan Soeprapto ", still_typing=True) == ["Jl. Soeprapto"]
    assert street_phrases("api di jalan Soeprapto", still_typing=False) == ["Jl. Soeprapto"]


def test_a_street_is_asked_bounded_to_the_city_with_the_user_agent_and_carries_its_kelurahan(ref, nominatim, settings):
    lat, lon = _point("Mega Mall")
    nominatim.results = [result(lat, lon)]
    places = street_places("kebakaran di jalan soeprapto dekat toko", mode="lookup")
    kelurahan = kelurahan_at(lat, lon)
    assert [p.as_dict() for p in places] == [{
        "kind": "street", "name": "Jl. Letjend Suprapto", "lat": lat, "lon": lon,
        "kelurahan": {"code": kelurahan.code, "name": kelurahan.name}, "kecamatan": kelurahan.kecamatan.name,
    }]
    [asked] = nominatim.requests
    assert asked["path"] == "/search"
    assert asked["user_agent"] == settings.GEOCODER_USER_AGENT
    assert asked["params"] == {"q": "Jalan Soeprapto, Kota Bengkulu", "format": "jsonv2", "limit": "3",
                               "countrycodes": "id", "viewbox": CITY_VIEWBOX, "bounded": "1"}


def test_the_notes_are_url_encoded_and_only_the_street_is_sent(ref, nominatim):
    street_places("tolong!! jalan O'Neil&format=xml#x depan rumah pak budi 0812", mode="lookup")
    [asked] = nominatim.requests
    assert asked["params"]["q"] == "Jalan O'Neil, Kota Bengkulu"
    assert asked["params"]["format"] == "jsonv2"


def test_a_point_outside_the_city_is_dropped(ref, nominatim):
    lat, lon = _point("Mega Mall")
    nominatim.results = [result(*OUTSIDE_CITY), {"lat": "x", "lon": None}, "garbage", result(lat, lon, name="")]
    places = street_places("jalan soeprapto.", mode="lookup")
    assert [(p.name, p.lat) for p in places] == [("Jl. Soeprapto", lat)]
    nominatim.next_second()
    nominatim.results = [result(*OUTSIDE_CITY)]
    assert street_places("jalan hibrida.", mode="lookup") == []


def test_a_second_identical_lookup_is_answered_from_the_cache(ref, nominatim):
    nominatim.results = [result(*_point("Mega Mall"))]
    first = street_places("api di jalan Soeprapto, cepat", mode="lookup")
    nominatim.next_second()
    assert street_places("JL. soeprapto dekat pasar", mode="lookup") == first
    assert street_places("kebakaran jalan soeprapto", mode="cached") == first
    assert len(nominatim.requests) == 1


def test_the_cached_mode_never_asks(ref, nominatim):
    nominatim.results = [result(*_point("Mega Mall"))]
    assert street_places("jalan Soeprapto", mode="cached") == []
    assert nominatim.requests == []


def test_a_street_not_found_is_cached_too(ref, nominatim):
    assert street_places("jalan Entahdimana.", mode="lookup") == []
    nominatim.next_second()
    assert street_places("jalan Entahdimana.", mode="lookup") == []
    assert len(nominatim.requests) == 1


@pytest.mark.parametrize("failure", ["garbage", "not_a_list", "error", "slow", "redirect", "too_large"])
def test_a_failing_geocoder_gives_no_streets_a_warning_and_is_not_asked_again_at_once(ref, nominatim, settings, caplog, failure):
    from tests.nominatim import NominatimServer

    elsewhere = NominatimServer()
    try:
        nominatim.results = [result(*_point("Mega Mall"))]
        if failure == "garbage":
            nominatim.body = b"<html>busy</html>"
        elif failure == "not_a_list":
            nominatim.body = b'{"error": "rate limited"}'
        elif failure == "error":
            nominatim.status = 500
        elif failure == "slow":
            settings.GEOCODER_TIMEOUT_SECONDS = 0.3
            nominatim.delay = 1.0
        elif failure == "redirect":
            nominatim.status = 302
            nominatim.location = elsewhere.base + "/search?q=x"
            elsewhere.results = nominatim.results
        elif failure == "too_large":
            nominatim.body = b"[" + b" " * (300 * 1024) + b"]"
        with caplog.at_level(logging.WARNING, logger="agencies.geocoder"):
            assert street_places("jalan Soeprapto, api", mode="lookup") == []
        assert "geocoder lookup failed" in caplog.text
        assert elsewhere.requests == []
        nominatim.next_second()
        assert street_places("jalan Soeprapto, api", mode="lookup") == []
        assert len(nominatim.requests) == 1
    finally:
        elsewhere.close()


def test_at_most_one_request_a_second_and_a_lookup_that_would_wait_is_skipped(ref, nominatim):
    nominatim.results = [result(*_point("Mega Mall"))]
    assert street_places("jalan Soeprapto.", mode="lookup")
    assert street_places("jalan Hibrida.", mode="lookup") == []  # within the same second: skipped
    assert len(nominatim.requests) == 1
    nominatim.next_second()
    assert street_places("jalan Hibrida.", mode="lookup")  # the skip was not cached
    assert len(nominatim.requests) == 2


def test_threads_of_one_process_share_the_one_request_a_second(ref, nominatim):
    nominatim.results = [result(*_point("Mega Mall"))]
    streets = ["Soeprapto", "Hibrida", "Kapuas", "Sudirman", "Ahmad Yani", "Salak"]
    threads = [threading.Thread(target=street_places, args=(f"jalan {s}.",), kwargs={"mode": "lookup"}) for s in streets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(nominatim.requests) == 1


def test_processes_sharing_the_cache_share_the_one_request_a_second(ref, nominatim):
    nominatim.results = [result(*_point("Mega Mall"))]
    assert street_places("jalan Soeprapto.", mode="lookup")
    geocoder.reset_rate_limit()  # as another process would start
    assert street_places("jalan Hibrida.", mode="lookup") == []
    cache.delete(geocoder.SLOT_CACHE_KEY)
    assert street_places("jalan Hibrida.", mode="lookup")
    assert len(nominatim.requests) == 2


def test_without_a_geocoder_url_no_request_is_made_and_the_places_are_as_before(ref, nominatim, settings):
    nominatim.results = [result(*_point("Mega Mall"))]
    text = "rumah roboh di jalan Soeprapto dekat ps. minggu, warga di Sawah Lebar juga"
    settings.GEOCODER_URL = ""
    assert [(p.kind, p.name) for p in places_mentioned(text, streets="lookup")] == [
        ("landmark", "Pasar Minggu"), ("kelurahan", "Sawah Lebar")]
    assert nominatim.requests == []


def test_streets_come_after_the_landmarks_and_a_kelurahan_they_give_is_not_repeated(ref, nominatim):
    lat, lon = _point("Bandara Fatmawati Soekarno")
    nominatim.results = [result(lat, lon)]
    kelurahan = kelurahan_at(lat, lon)
    assert Landmark.objects.get(name="Pasar Minggu").kelurahan != kelurahan
    text = f"rumah roboh di jalan Soeprapto dekat ps. minggu, kel. {kelurahan.name}"
    found = [(p.kind, p.name) for p in places_mentioned(text, streets="lookup")]
    assert found == [("landmark", "Pasar Minggu"), ("street", "Jl. Letjend Suprapto")]
    assert [(p.kind, p.name) for p in places_mentioned(text)] == [
        ("landmark", "Pasar Minggu"), ("kelurahan", kelurahan.name)]


def test_a_street_in_several_kelurahan_is_narrowed_to_the_one_the_notes_name(ref, nominatim):
    mall, airport = _point("Mega Mall"), _point("Bandara Fatmawati Soekarno")
    assert kelurahan_at(*mall) != kelurahan_at(*airport)
    nominatim.results = [result(*mall), result(*airport)]
    both = street_places("jalan Soeprapto.", mode="lookup")
    assert [p.kelurahan_code for p in both] == [kelurahan_at(*mall).code, kelurahan_at(*airport).code]
    airport_kelurahan = kelurahan_at(*airport)
    narrowed = places_mentioned(f"jalan Soeprapto, kel. {airport_kelurahan.name}", streets="cached")
    assert [(p.kind, p.kelurahan_code) for p in narrowed] == [("street", airport_kelurahan.code)]


@pytest.mark.parametrize(("url", "ok"), [
    ("", True),
    ("https://nominatim.example.org", True),
    ("http://127.0.0.1:8080/nominatim/", True),
    ("ftp://nominatim.example.org", False),
    ("file:///etc/passwd", False),
    ("https://user:secret@nominatim.example.org", False),
    ("nominatim.example.org", False),
])
def test_the_system_check_accepts_only_an_http_or_https_geocoder_url(settings, url, ok):
    from dispatch.checks import check_geocoder_url

    settings.GEOCODER_URL = url
    assert (check_geocoder_url(None) == []) is ok
    assert geocoder.geocoder_enabled() is (ok and bool(url))


def test_the_deploy_check_warns_of_a_user_agent_without_a_contact(settings):
    from dispatch.checks import check_geocoder_user_agent_names_a_contact

    settings.GEOCODER_URL = "https://nominatim.example.org"
    settings.GEOCODER_USER_AGENT = "Dispatch112-KotaBengkulu/1.0 (+contact set by the operator of the deployment)"
    assert [m.id for m in check_geocoder_user_agent_names_a_contact(None)] == ["dispatch.W001"]
    settings.GEOCODER_USER_AGENT = "Dispatch112-KotaBengkulu/1.0 (112@bengkulukota.go.id)"
    assert check_geocoder_user_agent_names_a_contact(None) == []
    settings.GEOCODER_URL = ""
    settings.GEOCODER_USER_AGENT = "Dispatch112-KotaBengkulu/1.0 (+contact set by the operator of the deployment)"
    assert check_geocoder_user_agent_names_a_contact(None) == []
