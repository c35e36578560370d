"""The places named in an operator's notes: landmarks first, then kelurahan, whole words only."""

from __future__ import annotations

import pytest

from agencies.loader import landmark_aliases
from agencies.models import Kelurahan, Landmark
from agencies.places import normalise, places_mentioned, reset_places

pytestmark = pytest.mark.django_db


def _names(text: str) -> list[tuple[str, str]]:
    return [(p.kind, p.name) for p in places_mentioned(text)]


def test_the_landmarks_are_loaded_with_their_kelurahan_from_the_boundaries(ref):
    mall = Landmark.objects.select_related("kelurahan").get(name="Mega Mall")
    assert (mall.lat, mall.lon) == (-3.79346, 102.26683)
    assert mall.kelurahan is not None
    from agencies.geo import kelurahan_at

    assert mall.kelurahan == kelurahan_at(mall.lat, mall.lon)
    assert Landmark.objects.get(name="Universitas Bengkulu (UNIB)").aliases == ["UNIB"]
    assert Landmark.objects.get(name="Pantai Panjang (ujung utara)").aliases == []
    assert Landmark.objects.get(name="Kampus UIN Fatmawati (IAIN)").aliases == ["UIN", "UIN Fatmawati", "UINFAS", "IAIN"]
    assert Landmark.objects.filter(kelurahan__isnull=True).count() < Landmark.objects.count()


def test_a_parenthesis_of_capitalised_words_is_another_name_a_lower_case_one_describes():
    assert landmark_aliases("Simpang Lima (Ratu Samban)") == ["Ratu Samban"]
    assert landmark_aliases("Kampus UIN Fatmawati (IAIN)") == ["IAIN"]
    assert landmark_aliases("Pantai Panjang (ujung utara)") == []
    assert landmark_aliases("Mega Mall") == []


def test_a_landmark_is_found_by_the_everyday_name_callers_give_it(ref):
    assert _names("asap hitam dari gudang dekat bandara") == [("landmark", "Bandara Fatmawati Soekarno")]
    assert _names("orang tenggelam di pantai panjang") == [("landmark", "Pantai Panjang (ujung utara)")]
    assert _names("kecelakaan di depan benteng marlborough") == [("landmark", "Fort Marlborough")]


def test_the_hospitals_with_a_known_place_are_landmarks_too(ref):
    import json

    from django.conf import settings

    hospitals = json.loads((settings.DOMAIN_DATA_DIR / "bengkulu.json").read_text(encoding="utf-8"))["hospitals"]
    yunus = next(h for h in hospitals if h["id"] == "RSMY")
    mark = Landmark.objects.get(name="RSUD Dr. M. Yunus")
    assert (mark.lat, mark.lon) == (yunus["lat"], yunus["lon"]) and mark.kelurahan is not None
    assert _names("pasien kritis dibawa dari rs m. yunus") == [("landmark", "RSUD Dr. M. Yunus")]
    assert _names("kecelakaan di depan RS Polda") == [("landmark", "RS Bhayangkara")]


def test_reloading_the_data_keeps_the_names_added_in_the_product(ref):
    from agencies.loader import load_bengkulu

    mark = Landmark.objects.get(name="Bandara Fatmawati Soekarno")
    mark.aliases = [*mark.aliases, "Airport", "bandara"]  # one new, one the data already gives
    mark.save()
    load_bengkulu()
    mark.refresh_from_db()
    assert mark.aliases == ["Bandara", "Bandara Fatmawati", "Bandara Padang Kemiling", "Airport"]


def test_a_landmark_the_data_renamed_keeps_its_row_and_its_added_names(ref):
    from agencies.loader import load_bengkulu

    mark = Landmark.objects.get(name="Pantai Panjang (ujung utara)")
    Landmark.objects.filter(pk=mark.pk).update(name="Pantai Panjang (north end)", aliases=["Pantai Panjang Utara"])
    load_bengkulu()
    assert not Landmark.objects.filter(name="Pantai Panjang (north end)").exists()
    renamed = Landmark.objects.get(name="Pantai Panjang (ujung utara)")
    assert renamed.pk == mark.pk and renamed.aliases == ["Pantai Panjang Utara"]


def test_short_forms_read_as_the_words_they_stand_for():
    assert normalise("Kebakaran di RS. Raflesia, Jl.Suprapto!") == " kebakaran di rumah sakit raflesia jalan suprapto "
    assert normalise("Ps. Minggu") == normalise("pasar minggu")


def test_a_landmark_named_in_the_notes_comes_with_its_place_and_kelurahan(ref):
    [place] = places_mentioned("tolong api besar di toko dekat MEGA MALL, ada orang terjebak")
    mall = Landmark.objects.select_related("kelurahan__kecamatan").get(name="Mega Mall")
    assert place.as_dict() == {
        "kind": "landmark", "name": "Mega Mall", "lat": mall.lat, "lon": mall.lon,
        "kelurahan": {"code": mall.kelurahan.code, "name": mall.kelurahan.name},
        "kecamatan": mall.kelurahan.kecamatan.name,
    }


def test_a_landmark_is_found_by_its_other_name_and_short_form(ref):
    assert _names("mahasiswa pingsan di kampus unib") == [("landmark", "Universitas Bengkulu (UNIB)")]
    assert _names("kecelakaan depan rumah sakit raflesia") == [("landmark", "RS Raflesia")]


def test_landmarks_come_first_then_kelurahan_each_in_the_order_named(ref):
    mall = Landmark.objects.get(name="Mega Mall")
    other = Kelurahan.objects.exclude(pk=mall.kelurahan_id).get(name="Sawah Lebar")
    text = "pohon tumbang di Sawah Lebar, ada juga banjir dekat Fort Marlborough dan Mega Mall"
    assert _names(text) == [("landmark", "Fort Marlborough"), ("landmark", "Mega Mall"), ("kelurahan", other.name)]


def test_a_kelurahan_in_a_longer_name_is_not_offered_twice(ref):
    assert _names("pohon tumbang di sawah lebar baru") == [("kelurahan", "Sawah Lebar Baru")]
    assert _names("banjir di rawa makmur permai") == [("kelurahan", "Rawa Makmur Permai")]
    assert _names("banjir di rawa makmur dan rawa makmur permai") == [
        ("kelurahan", "Rawa Makmur"), ("kelurahan", "Rawa Makmur Permai"),
    ]


def test_whole_words_only_and_everyday_words_need_the_word_kelurahan(ref):
    assert _names("ada ular masuk kandang ayam warga") == []
    assert _names("ada penurunan tekanan air") == []
    assert _names("ular masuk rumah di kelurahan kandang") == [("kelurahan", "Kandang")]
    assert _names("ular di kel. Kandang Mas") == [("kelurahan", "Kandang Mas")]
    assert _names("sumur dewan") == []  # "Sumur Dewa" only as whole words
    assert _names("") == [] and _names("   ") == []


def test_a_landmark_added_later_is_found_once_the_places_are_read_again(ref):
    assert _names("kebakaran di Masjid Raya Baitul Izzah") == []
    Landmark.objects.create(name="Masjid Raya Baitul Izzah", aliases=["Baitul Izzah"], lat=-3.8196, lon=102.2832)
    reset_places()
    assert _names("kebakaran dekat baitul izzah") == [("landmark", "Masjid Raya Baitul Izzah")]


def test_a_landmark_added_in_the_admin_gets_its_kelurahan_and_is_offered_at_once(ref, make_user):
    from django.test import Client

    from agencies.geo import kelurahan_at

    assert _names("asap tebal dari gudang dekat Tugu Thomas Parr") == []  # read (and kept) before the admin adds it
    admin_user = make_user("admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    answer = client.post("/admin/agencies/landmark/add/", {
        "name": "Tugu Thomas Parr", "aliases": '["Thomas Parr"]', "lat": "-3.7876", "lon": "102.2534", "kelurahan": "",
    })
    assert answer.status_code == 302, answer.content.decode()[:2000]
    mark = Landmark.objects.get(name="Tugu Thomas Parr")
    assert mark.kelurahan is not None and mark.kelurahan == kelurahan_at(-3.7876, 102.2534)
    assert _names("asap tebal dari gudang dekat thomas parr") == [("landmark", "Tugu Thomas Parr")]
