from __future__ import annotations

import pytest
from django.test import Client

from calls.triage_cache import invalidate

pytestmark = pytest.mark.django_db


def test_suggestion_while_typing_gives_type_and_agencies(operator):
    invalidate()
    client = Client()
    client.force_login(operator)
    body = client.get("/desk/suggest/", {"text": "tlg ada rumah kebakarn di jln suprapto, api sdh besar"}).json()
    assert body["call_type"] == "emergency"
    assert body["incident_type"] == "kebakaran_bangunan"
    assert body["primary_agency"] == "DAMKAR" and body["agencies"][0] == "DAMKAR"
    assert 0 < body["confidence"] <= 1


def test_desk_and_todays_list_render_for_operators_only(operator, make_user):
    client = Client()
    client.force_login(operator)
    page = client.get("/desk/")
    assert page.status_code == 200 and b"call-form" in page.content
    assert client.get("/desk/today/").status_code == 200
    staff = Client()
    staff.force_login(make_user("agency", "DAMKAR"))
    assert staff.get("/desk/").status_code == 403


def test_the_suggestion_names_the_places_in_the_notes(operator, ref):
    from agencies.models import Landmark

    client = Client()
    client.force_login(operator)
    body = client.get("/desk/suggest/", {"text": "rumah roboh di ps. minggu setelah gempa, warga di Sawah Lebar juga"}).json()
    market = Landmark.objects.select_related("kelurahan").get(name="Pasar Minggu")
    assert [(p["kind"], p["name"]) for p in body["places"]] == [("landmark", "Pasar Minggu"), ("kelurahan", "Sawah Lebar")]
    assert body["places"][0]["kelurahan"] == {"code": market.kelurahan.code, "name": market.kelurahan.name}
    assert (body["places"][0]["lat"], body["places"][0]["lon"]) == (market.lat, market.lon)
    assert client.get("/desk/suggest/", {"text": "  "}).json()["places"] == []


TWO_HAZARDS = "pohon tumbang kena kabel listrik, kabelnya putus menjuntai ke jalan"


def test_suggestion_below_the_threshold_fills_in_nothing_but_lists_three_candidates(operator, settings):
    invalidate()
    client = Client()
    client.force_login(operator)
    settings.TRIAGE_PREFILL_THRESHOLD = 0.5
    body = client.get("/desk/suggest/", {"text": TWO_HAZARDS}).json()
    assert body["call_type"] == "emergency" and body["prefill"] is False
    assert body["incident_type"] is None and body["primary_agency"] is None and body["agencies"] == []
    assert body["suggested_incident_type"] in ("listrik", "pohon_tumbang")
    assert 0 < body["confidence"] < 0.5
    candidates = body["candidates"]
    assert len(candidates) == 3
    assert {c["incident_type"] for c in candidates[:2]} == {"listrik", "pohon_tumbang"}
    assert {c["label"] for c in candidates[:2]} == {"Pohon tumbang / angin kencang", "Gangguan listrik / kabel putus / tiang roboh"}
    assert all(set(c) >= {"incident_type", "label", "confidence"} for c in candidates)
    assert [c["confidence"] for c in candidates] == sorted((c["confidence"] for c in candidates), reverse=True)

    settings.TRIAGE_PREFILL_THRESHOLD = 0.3
    body = client.get("/desk/suggest/", {"text": TWO_HAZARDS}).json()
    assert body["prefill"] is True and body["incident_type"] == body["suggested_incident_type"]
    assert body["primary_agency"] and body["agencies"][0] == body["primary_agency"]


def test_content_free_notes_suggest_no_incident_on_the_desk(operator):
    invalidate()
    client = Client()
    client.force_login(operator)
    for text in ("tolong cepat", "pak tolong pak", "halo halo"):
        body = client.get("/desk/suggest/", {"text": text}).json()
        assert body["incident_type"] is None and body["suggested_incident_type"] is None
        assert body["candidates"] == [] and body["agencies"] == []


def test_dispatch_panel_lists_routing_and_triage_agencies_with_posts_and_what_is_already_sent(operator, make_user):
    from agencies.models import Station
    from calls import services as call_services
    from dispatch import services

    call, _ = call_services.call_create(operator=operator, caller_number="081234500901", notes="api di ruko",
                                        location=call_services.Location(lat=-3.84067, lon=102.32073, address="Jl. Pagar Dewa"))
    incident = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident
    damkar_post = Station.objects.filter(agency__code="DAMKAR").first()
    services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["POLRESTA"])
    client = Client()
    client.force_login(operator)
    panel = client.get(f"/desk/incidents/{incident.pk}/panel/", {"also": "PMI,DAMKAR,nope"}).json()
    assert panel["id"] == incident.pk and panel["url"] == f"/incidents/{incident.pk}/"
    assert panel["priority"] == 1 and panel["has_place"] is True and panel["needs_place_reason"] is False
    rows = {row["code"]: row for row in panel["agencies"]}
    assert panel["agencies"][0]["code"] == "DAMKAR" and rows["DAMKAR"]["primary"] is True
    assert rows["POLRESTA"]["live"] is True and rows["DAMKAR"]["live"] is False
    assert rows["PMI"]["primary"] is False and "NOPE" not in rows
    if damkar_post is not None:
        assert rows["DAMKAR"]["station"]["name"] and rows["DAMKAR"]["station"]["distance_m"] >= 0
    assert client.get("/desk/incidents/999999/panel/").status_code == 404
    staff = Client()
    staff.force_login(make_user("agency", "DAMKAR"))
    assert staff.get(f"/desk/incidents/{incident.pk}/panel/").status_code == 403


def test_the_suggestion_offers_a_street_from_the_geocoder_with_its_kelurahan(operator, make_user, nominatim):
    from agencies.geo import kelurahan_at
    from agencies.models import Landmark
    from tests.nominatim import result

    airport = Landmark.objects.get(name="Bandara Fatmawati Soekarno")
    nominatim.results = [result(airport.lat, airport.lon, name="Jalan Raden Fatah")]
    client = Client()
    client.force_login(operator)
    text = "rumah roboh di jalan raden fatah dekat ps. minggu setelah gempa"
    body = client.get("/desk/suggest/", {"text": text}).json()
    kelurahan = kelurahan_at(airport.lat, airport.lon)
    assert [(p["kind"], p["name"]) for p in body["places"]] == [("landmark", "Pasar Minggu"), ("street", "Jl. Raden Fatah")]
    street = body["places"][1]
    assert (street["lat"], street["lon"]) == (airport.lat, airport.lon)
    assert street["kelurahan"] == {"code": kelurahan.code, "name": kelurahan.name}
    assert street["kecamatan"] == kelurahan.kecamatan.name
    assert nominatim.requests[0]["params"]["q"] == "Jalan Raden Fatah, Kota Bengkulu"
    staff = Client()
    staff.force_login(make_user("agency", "DAMKAR"))
    assert staff.get("/desk/suggest/", {"text": text}).status_code == 403


@pytest.mark.parametrize("geocoder", ["off", "failing"])
def test_the_suggestion_offers_landmarks_and_kelurahan_only_when_the_geocoder_is_off_or_failing(
        operator, nominatim, settings, geocoder):
    from tests.nominatim import result

    nominatim.results = [result(-3.86, 102.33)]
    if geocoder == "off":
        settings.GEOCODER_URL = ""
    else:
        nominatim.status = 503
    client = Client()
    client.force_login(operator)
    body = client.get("/desk/suggest/", {"text": "api di jalan Raden Fatah dekat ps. minggu, warga di Sawah Lebar"}).json()
    assert [(p["kind"], p["name"]) for p in body["places"]] == [("landmark", "Pasar Minggu"), ("kelurahan", "Sawah Lebar")]
    assert len(nominatim.requests) == (0 if geocoder == "off" else 1)
