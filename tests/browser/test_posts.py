"""The agency posts page in Chromium: an agency admin places a post that had no point by clicking the
map, saves, sees it as a marker, and the agency card's nearest post is that post; by keyboard alone
another post is placed and marked as checked. At 1366x768 and 1920x1080, in both languages."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from agencies.models import Agency, Station
from agencies.selectors import nearest_post
from agencies.services import agency_admin_group
from calls import services as call_services
from calls.services import Location
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations
from tests.browser.support import wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots-posts")
PAGAR_DEWA = (-3.84067, 102.32073)  # the centre of kelurahan Pagar Dewa


def _fits(page, viewport) -> None:
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"the page scrolls sideways: {sizes}"
    box = page.locator("#post-form button[type=submit]").bounding_box()
    assert box and box["y"] + box["height"] <= viewport["height"], "the save button is below the fold"


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}])
def test_an_agency_admin_places_a_post_by_a_click_on_the_map_and_it_becomes_the_nearest_post(
    ref, make_user, login, asgi_server, viewport
):
    size = f"{viewport['width']}x{viewport['height']}"
    damkar = Agency.objects.get(code="DAMKAR")
    agency_admin = make_user("agency", "DAMKAR", username=f"admin_damkar_{viewport['width']}")
    agency_admin.groups.add(agency_admin_group())
    operator = make_user("operator", username=f"op_posts_{viewport['width']}")
    new = Station.objects.create(agency=damkar, name="Pos Damkar Tanpa Titik")
    typed = Station.objects.create(agency=damkar, name="Pos Damkar Diketik")
    Station.objects.create(agency=damkar, name="Pos Damkar Lama", lat=-3.7800, lon=102.2650, approximate=True)
    Station.objects.create(agency=Agency.objects.get(code="POLRESTA"), name="Polsek Lain", lat=-3.7950, lon=102.2600, approximate=True)
    os.makedirs(SHOTS, exist_ok=True)

    page = login(agency_admin.username, PASSWORD)
    page.set_viewport_size(viewport)
    page.get_by_role("link", name="Pos instansi").click()
    page.get_by_role("link", name="Pos Damkar Tanpa Titik").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#post-form h2")).to_contain_text("Pos Damkar Tanpa Titik")
    expect(page.locator(".post-now")).to_contain_text("Belum ada titik")
    # Every post with a point is on the map, another agency's too, its approximate position said in words.
    wait_js(page, "document.querySelectorAll('#posts-map path.leaflet-interactive').length > 0")
    assert page.locator('#posts-map img.leaflet-marker-icon[title="Polsek Lain · Polresta · perkiraan"]').count() == 1
    assert page.locator(".posts-list").get_by_text("Polsek Lain").count() == 0

    point = page.evaluate(f"window.PostsMap.map.latLngToContainerPoint([{PAGAR_DEWA[0]}, {PAGAR_DEWA[1]}])")
    box = page.locator("#posts-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    expect(page.locator("#post-where")).to_contain_text("Pagar Dewa")
    lat, lon = float(page.input_value("#post-lat")), float(page.input_value("#post-lon"))
    assert abs(lat - PAGAR_DEWA[0]) < 0.001 and abs(lon - PAGAR_DEWA[1]) < 0.001
    page.screenshot(path=f"{SHOTS}/posts-placing-id-{size}.png")
    _fits(page, viewport)
    assert axe_violations(page) == []

    page.get_by_role("button", name="Simpan posisi").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_contain_text("Posisi Pos Damkar Tanpa Titik disimpan (perkiraan).")
    new.refresh_from_db()
    assert (new.lat, new.lon, new.approximate) == (lat, lon, True)
    # It is a marker now, approximate, among all the others.
    page.goto(asgi_server + "/posts/")
    wait_js(page, "document.querySelectorAll('#posts-map path.leaflet-interactive').length > 0")
    assert page.locator('#posts-map img.leaflet-marker-icon[title="Pos Damkar Tanpa Titik · Damkar · perkiraan"]').count() == 1

    # By keyboard alone: the list, the coordinates, the checked box, Enter.
    page.goto(asgi_server + f"/posts/?post={typed.pk}")
    page.locator("#post-lat").focus()
    page.keyboard.type("-3.7960")
    page.keyboard.press("Tab")
    page.keyboard.type("102.2660")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.locator("#post-lon").press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_contain_text("Posisi Pos Damkar Diketik disimpan dan ditandai sudah dicek.")
    typed.refresh_from_db()
    assert (typed.lat, typed.lon, typed.approximate) == (-3.796, 102.266, False)

    # In English, with the refusal of a point far from the city.
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": asgi_server}])
    page.goto(asgi_server + f"/posts/?post={new.pk}")
    page.fill("#post-lat", "-6.2")
    page.fill("#post-lon", "106.8")
    page.get_by_role("button", name="Save position").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("alert")).to_contain_text("outside Kota Bengkulu")
    wait_js(page, "document.getElementById('posts-map').dataset.ready === '1'")
    # The map stays on the post's saved point, not on the refused one.
    assert page.locator("#posts-map img.post-selected").count() == 1
    assert page.evaluate(f"window.PostsMap.map.getBounds().contains([{lat}, {lon}])")
    text = page.locator("main").inner_text()
    for english in ("Agency posts", "Latitude", "Posts you may edit", "approximate", "checked"):
        assert english in text, english
    for indonesian in ("Simpan posisi", "Lintang", "perkiraan", "Pos yang dapat"):
        assert indonesian not in text, indonesian
    page.screenshot(path=f"{SHOTS}/posts-refused-en-{size}.png")
    _fits(page, viewport)
    assert axe_violations(page) == []
    new.refresh_from_db()
    assert (new.lat, new.lon) == (lat, lon)
    page.context.add_cookies([{"name": "django_language", "value": "id", "url": asgi_server}])

    # A fire next to the placed post: it is Damkar's nearest post, on the agency's card too.
    fire_at = (PAGAR_DEWA[0] + 0.001, PAGAR_DEWA[1])
    assert nearest_post(damkar, *fire_at).station.pk == new.pk
    call, _ = call_services.call_create(operator=operator, caller_number="081234560027",
                                        location=Location(lat=fire_at[0], lon=fire_at[1], address="Jl. Uji"))
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    [dispatch] = dispatch_services.incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])
    page.goto(asgi_server + "/agency/")
    expect(page.locator(f"article[data-dispatch-id='{dispatch.pk}']")).to_contain_text("pos terdekat: Pos Damkar Tanpa Titik")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}])
def test_an_admin_sees_every_agencys_posts_listed_and_mapped_on_one_screen(ref, make_user, login, asgi_server, viewport):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.loader import load_stations

    load_stations()
    admin = make_user("admin", username=f"admin_posts_{viewport['width']}")
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    page = login(admin.username, PASSWORD)
    page.fill("input[name=token]", str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6))
    page.locator("input[name=token]").press("Enter")
    page.wait_for_load_state("networkidle")
    page.set_viewport_size(viewport)
    page.get_by_role("link", name="Pos instansi").click()
    unplaced = Station.objects.filter(lat=None).order_by("agency__code", "name").first()
    page.get_by_role("link", name=unplaced.name, exact=True).click()
    page.wait_for_load_state("networkidle")
    wait_js(page, "document.getElementById('posts-map').dataset.ready === '1'")
    assert page.locator(".posts-list li").count() == Station.objects.count()
    with_point = Station.objects.exclude(lat=None).count()
    assert page.locator("#posts-map img.leaflet-marker-icon").count() == with_point
    page.screenshot(path=f"{SHOTS}/posts-admin-id-{viewport['width']}x{viewport['height']}.png")
    _fits(page, viewport)
    assert axe_violations(page) == []
