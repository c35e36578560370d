"""The agencies' posts from public sources: loaded into Station, approximate until checked, and the
nearest one offered with its distance on the incident and the dispatch."""

from __future__ import annotations

import json
import shutil

import pytest
from django.conf import settings
from django.test import Client

from agencies.loader import load_stations
from agencies.models import Agency, Kelurahan, Station
from agencies.selectors import haversine_m, nearest_post, nearest_station

pytestmark = pytest.mark.django_db

RECORDS = {r["id"]: r for r in json.loads((settings.DOMAIN_DATA_DIR / "stations.json").read_text(encoding="utf-8"))}


@pytest.fixture
def posts(ref):
    load_stations()
    return {s.external_id: s for s in Station.objects.select_related("agency")}


def test_the_posts_the_sources_name_are_loaded_under_their_agencies(posts):
    agency_codes = set(Agency.objects.values_list("code", flat=True))
    expected = {i for i, r in RECORDS.items() if r["agency"] in agency_codes}
    assert set(posts) == expected
    assert len(expected) >= 40
    # Hospitals other than the city's own and the Polda are not dispatch agencies: file only.
    assert "RS-02" not in posts and "POLDA-01" not in posts
    assert posts["POL-05"].agency.code == "POLRESTA" and posts["POL-05"].name == "Polsek Ratu Samban"
    assert sum(s.agency.code == "DINKES" for s in posts.values()) == 21


def test_no_position_from_the_sources_is_taken_as_checked(posts):
    with_point = [s for s in posts.values() if s.has_point]
    assert with_point and all(s.approximate for s in with_point)
    assert all(s.source or s.confidence_note for s in posts.values())
    assert all(s.confidence_note for s in posts.values())


def test_each_post_gets_the_best_position_a_source_gives(posts):
    own = posts["POL-05"]  # a point the source names after the post
    assert (own.lat, own.lon) == (RECORDS["POL-05"]["lat"], RECORDS["POL-05"]["lon"])
    assert "APPROXIMATE" in own.confidence_note
    landmark = posts["DAMKAR-02"]  # "pos di Pasar Minggu": the market's point
    assert (landmark.lat, landmark.lon) == (RECORDS["DAMKAR-02"]["landmark_lat"], RECORDS["DAMKAR-02"]["landmark_lon"])
    assert "Pasar Minggu" in landmark.confidence_note and "landmark" in landmark.confidence_note
    centre = posts["PKM-14"]  # a Puskesmas known only by its kelurahan
    kelurahan = Kelurahan.objects.get(code=RECORDS["PKM-14"]["kelurahan_code"])
    assert (centre.lat, centre.lon) == (kelurahan.lat, kelurahan.lon)
    assert kelurahan.name in centre.confidence_note
    unknown = posts["POL-03"]  # existence only
    assert unknown.lat is None and unknown.lon is None and not unknown.approximate


def test_loading_again_changes_nothing(posts):
    before = list(Station.objects.order_by("pk").values())
    counts = load_stations()
    assert list(Station.objects.order_by("pk").values()) == before
    assert counts["edited_kept"] == 0 and counts["stations"] == len(before)


def test_a_post_edited_in_the_product_keeps_the_edit_and_the_others_follow_the_data(posts, tmp_path):
    checked = posts["DAMKAR-01"]
    checked.lat, checked.lon, checked.approximate = -3.8361, 102.3125, False
    checked.save()
    untouched = posts["POL-05"]
    records = json.loads((settings.DOMAIN_DATA_DIR / "stations.json").read_text(encoding="utf-8"))
    for record in records:
        if record["id"] in ("DAMKAR-01", "POL-05"):
            record["lat"], record["lon"] = record["lat"] + 0.001, record["lon"] + 0.001
    (tmp_path / "stations.json").write_text(json.dumps(records), encoding="utf-8")
    counts = load_stations(data_dir=tmp_path)
    checked.refresh_from_db()
    untouched.refresh_from_db()
    assert (checked.lat, checked.lon, checked.approximate) == (-3.8361, 102.3125, False)
    assert counts["edited_kept"] == 1
    assert untouched.lat == pytest.approx(RECORDS["POL-05"]["lat"] + 0.001)
    assert untouched.approximate
    # And the edit survives the next load too.
    load_stations(data_dir=tmp_path)
    checked.refresh_from_db()
    assert (checked.lat, checked.lon, checked.approximate) == (-3.8361, 102.3125, False)


def test_a_post_made_in_the_product_under_a_loaded_name_stays_the_products(ref):
    damkar = Agency.objects.get(code="DAMKAR")
    own = Station.objects.create(agency=damkar, name="Pos Damkar Pasar Minggu", lat=-3.7951, lon=102.2660)
    load_stations()
    own.refresh_from_db()
    assert (own.lat, own.lon, own.approximate) == (-3.7951, 102.2660, False)
    assert own.external_id == "DAMKAR-02" and own.source
    assert Station.objects.filter(agency=damkar, name="Pos Damkar Pasar Minggu").count() == 1


def test_the_load_bengkulu_command_loads_the_posts(ref):
    from django.core.management import call_command
    from io import StringIO

    out = StringIO()
    call_command("load_bengkulu", stdout=out)
    assert Station.objects.filter(external_id="POL-05").exists()
    assert "stations" in out.getvalue()


def test_the_nearest_post_comes_with_its_distance_and_whether_it_is_approximate(posts):
    polresta = Agency.objects.get(code="POLRESTA")
    simpang_lima = (RECORDS["POL-02"]["landmark_lat"], RECORDS["POL-02"]["landmark_lon"])
    found = nearest_post(polresta, simpang_lima[0] + 0.0005, simpang_lima[1])
    assert found.station.external_id == "POL-02"
    assert found.distance_m == pytest.approx(haversine_m(simpang_lima[0] + 0.0005, simpang_lima[1], *simpang_lima))
    assert found.as_dict() == {"id": found.station.pk, "name": found.station.name, "distance_m": round(found.distance_m),
                               "approximate": True}
    checked = Station.objects.create(agency=polresta, name="Pos checked", lat=simpang_lima[0] + 0.0004, lon=simpang_lima[1])
    found = nearest_post(polresta, simpang_lima[0] + 0.0005, simpang_lima[1])
    assert found.station == checked and found.approximate is False
    assert nearest_station(polresta, simpang_lima[0] + 0.0005, simpang_lima[1]) == checked
    assert nearest_post(polresta, None, None) is None


def test_posts_without_a_position_are_never_the_nearest(ref):
    bpbd = Agency.objects.get(code="BPBD")
    Station.objects.create(agency=bpbd, name="Kantor tanpa titik")
    assert nearest_post(bpbd, -3.8, 102.26) is None
    far = Station.objects.create(agency=bpbd, name="Pos jauh", lat=-3.9, lon=102.3)
    assert nearest_post(bpbd, -3.8, 102.26).station == far


def test_a_post_needs_both_coordinates_or_none(ref):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.create(agency=Agency.objects.get(code="BPBD"), name="Setengah", lat=-3.8)


# --- On the incident and the dispatch ------------------------------------------------------------

NEAR_SIMPANG_LIMA = (-3.7975, 102.2662)


def _incident(operator, type_code="kecelakaan_lalu_lintas"):
    from calls import services as call_services

    location = call_services.Location(lat=NEAR_SIMPANG_LIMA[0], lon=NEAR_SIMPANG_LIMA[1], address="Simpang Lima")
    call, _ = call_services.call_create(operator=operator, caller_number="081234500077", notes="tabrakan", location=location)
    return call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type=type_code).incident


def test_the_incident_api_suggests_agencies_with_their_nearest_post(posts, operator, make_user):
    incident = _incident(operator)
    client = Client()
    client.force_login(operator)
    body = client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["incident_number"] == incident.pk
    suggested = {s["agency"]: s for s in body["suggested_agencies"]}
    assert suggested["POLRESTA"]["is_primary"] is True and suggested["POLRESTA"]["live"] is False
    post = suggested["POLRESTA"]["nearest_post"]
    station = Station.objects.get(pk=post["id"])
    assert station.external_id in ("POL-02", "POL-05b")
    assert post["approximate"] is True and post["name"] == station.name
    assert post["distance_m"] == round(haversine_m(*NEAR_SIMPANG_LIMA, station.lat, station.lon))
    # An agency without any post with a position: no nearest post.
    assert all(s["nearest_post"] is None for s in body["suggested_agencies"] if s["agency"] in ("DISHUB",))


def test_the_dispatch_answer_and_event_carry_the_post_and_the_incident_number(posts, operator, make_user):
    from dispatch.models import Event

    incident = _incident(operator)
    client = Client()
    client.force_login(operator)
    response = client.post(f"/api/v1/incidents/{incident.pk}/dispatch/", {"agencies": ["POLRESTA"]}, content_type="application/json")
    assert response.status_code == 201
    [dispatch] = response.json()["dispatches"]
    assert dispatch["incident_number"] == incident.pk and dispatch["incident_id"] == incident.pk
    assert dispatch["nearest_post"]["approximate"] is True
    assert dispatch["nearest_post"]["name"] == dispatch["station"]
    assert isinstance(dispatch["nearest_post"]["distance_m"], int)
    event = Event.objects.filter(type="dispatch.created").order_by("-seq").first()
    assert event.data["incident_number"] == incident.pk
    assert event.data["nearest_post"] == dispatch["nearest_post"]
    # Agency staff read the dispatch with its post, but not the floor's choice of agencies.
    staff = Client()
    staff.force_login(make_user("agency", "POLRESTA"))
    assert staff.get(f"/api/v1/dispatches/{dispatch['id']}/").json()["nearest_post"] == dispatch["nearest_post"]
    assert staff.get(f"/api/v1/incidents/{incident.pk}/").json()["suggested_agencies"] == []
