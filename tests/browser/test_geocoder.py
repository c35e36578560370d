"""The desk with a geocoder: a street the notes name is offered with its kelurahan, and Alt+P makes
it the call's place. Its own server, started with GEOCODER_URL pointing at a local Nominatim stand-in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from calls.models import Call
from tests.nominatim import NominatimServer, result
from tests.servers import start_server, stop_process

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def geocoding_server(django_db_setup, django_db_blocker):
    import os

    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        pytest.skip("the live server needs PostgreSQL and Redis")
    nominatim = NominatimServer()
    proc, base = start_server({"SWEEP_FALLBACK_SECONDS": "0", "GEOCODER_URL": nominatim.base,
                               "GEOCODER_USER_AGENT": "Dispatch112-Test/1.0 (ops@example.org)"})
    yield base, nominatim
    stop_process(proc)
    nominatim.close()


def test_a_street_in_the_notes_is_offered_with_its_kelurahan_and_alt_p_makes_it_the_calls_place(
        ref, make_user, login_at, geocoding_server):
    from agencies.geo import kelurahan_at
    from agencies.models import Landmark

    base, nominatim = geocoding_server
    airport = Landmark.objects.get(name="Bandara Fatmawati Soekarno")
    kelurahan = kelurahan_at(airport.lat, airport.lon)
    nominatim.results = [result(airport.lat, airport.lon, name="Jalan Raden Fatah")]
    make_user("operator", username="op_street")
    page = login_at(base, "op_street")
    page.goto(base + "/desk/")
    page.fill("#caller-number", "0812 7000 5555")
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("tersimpan")
    page.fill("#notes", "pohon tumbang menimpa rumah di jalan raden fatah dekat sekolah")
    offer = page.locator("#places button[data-place='Jl. Raden Fatah']")
    expect(offer).to_contain_text(f"Jl. Raden Fatah (Kel. {kelurahan.name})")
    expect(offer).to_contain_text("Alt+P")
    page.keyboard.press("Alt+P")
    expect(page.locator("#kelurahan")).to_have_value(f"{kelurahan.name} — {kelurahan.kecamatan.name}")
    expect(page.locator("#address")).to_have_value("Jl. Raden Fatah")
    expect(page.locator("#form-status")).to_have_text(re.compile("tersimpan", re.IGNORECASE))
    call = Call.objects.get(caller__number="+6281270005555")
    for _ in range(50):
        if call.lat is not None:
            break
        page.wait_for_timeout(100)
        call.refresh_from_db()
    assert (call.lat, call.lon) == (airport.lat, airport.lon)
    assert call.kelurahan_id == kelurahan.pk and call.address == "Jl. Raden Fatah"
    asked = [r for r in nominatim.requests if r["path"] == "/search"]
    assert {r["params"]["q"] for r in asked} == {"Jalan Raden Fatah, Kota Bengkulu"}
    assert all(r["user_agent"] == "Dispatch112-Test/1.0 (ops@example.org)" for r in asked)
