"""The assessment as data: felt intensity in Kota Bengkulu, distance, magnitude, tsunami."""

from __future__ import annotations

import pytest

from hazards.assessment import Thresholds, assess, felt_intensity, has_tsunami_potential
from hazards.parsing import parse_bmkg_feed, parse_cap
from tests.hazards.conftest import fixture_bytes

KECAMATAN = [("Ratu Samban", -3.797, 102.262), ("Selebar", -3.857, 102.297), ("Muara Bangka Hulu", -3.752, 102.294)]


@pytest.mark.parametrize("felt, mmi", [
    ("IV Bengkulu, III Kaur", 4),
    ("III-IV Kota Bengkulu, II Seluma", 4),
    ("II Kaur, III Bengkulu", 3),
    ("III Bengkulu Utara, II Bengkulu Tengah", None),  # the regencies are not the city
    ("V Padang", None),
    ("", None),
    ("bukan format", None),
])
def test_felt_intensity_reads_roman_mmi_for_the_city_only(felt, mmi):
    assert felt_intensity(felt) == mmi


@pytest.mark.parametrize("potensi, yes", [
    ("Tidak berpotensi tsunami", False),
    ("Gempa ini dirasakan untuk diteruskan pada masyarakat", False),
    ("Berpotensi tsunami", True),
    ("Potensi tsunami untuk diteruskan pada masyarakat", True),
])
def test_tsunami_potential(potensi, yes):
    assert has_tsunami_potential(potensi) is yes


def test_a_near_strong_quake_counts_as_felt_with_distance_to_the_nearest_kecamatan():
    result = assess(parse_cap(fixture_bytes("cap_earthquake.xml")), thresholds=Thresholds(), kecamatan=KECAMATAN)
    assert result.kind == "earthquake_felt"
    assert 25 < result.distance_km < 60
    assert result.nearest_kecamatan == "Selebar"  # the southern kecamatan, nearest the sea to the south-west


def test_a_far_quake_felt_in_the_city_counts_by_intensity_and_one_felt_weakly_does_not():
    quakes = parse_bmkg_feed(fixture_bytes("gempadirasakan.json"))
    kinds = [assess(q, thresholds=Thresholds(), kecamatan=KECAMATAN).kind for q in quakes]
    assert kinds == ["", "earthquake_felt", ""]
    # Raise the felt threshold to V: the Kaur quake (III-IV in the city, 177 km away, M4.9) no longer counts.
    assert assess(quakes[1], thresholds=Thresholds(felt_mmi_min=5), kecamatan=KECAMATAN).kind == ""


def test_a_papua_m5_changes_nothing():
    [far] = parse_bmkg_feed(fixture_bytes("gempaterkini_far.json"))
    result = assess(far, thresholds=Thresholds(), kecamatan=KECAMATAN)
    assert result.kind == "" and result.distance_km > 3000


def test_a_tsunami_warning_for_the_bengkulu_coast_is_kind_tsunami_with_the_most_severe_level():
    result = assess(parse_cap(fixture_bytes("cap_tsunami.xml")), thresholds=Thresholds(), kecamatan=KECAMATAN)
    assert (result.kind, result.tsunami_level) == ("tsunami", "awas")
