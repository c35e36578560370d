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
