"""The supervisor wall on one screen, with the last 24 hours' alerts kept across a reload, and a TV
enrolled as a read-only wall display that stays up past the idle timeout until it is revoked."""

from __future__ import annotations

import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agencies.geo import Location
from calls import services as call_services
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations
from tests.browser.support import supervisor_page as _supervisor_page, wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots-agency")


def _escalated_fire(make_user, operator_name: str):
    operator = make_user("operator", username=operator_name)
    call, _ = call_services.call_create(
        operator=operator, caller_number="081277700009", notes="kebakaran pasar", location=Location(lat=-3.7956, lon=102.2659)
    )
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    [dispatch] = dispatch_services.incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])
    dispatch_services.escalate_overdue(now=timezone.now() + timezone.timedelta(hours=1))
    return call, dispatch


def _fits_one_screen(page) -> None:
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.documentElement.scrollHeight, document.documentElement.clientHeight]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], f"page {sizes[0]}x{sizes[2]} on a {sizes[1]}x{sizes[3]} screen"


@pytest.mark.parametrize("width,height", [(1920, 1080), (1366, 768)])
def test_the_wall_fits_one_screen_and_keeps_the_last_days_alerts_across_a_reload(ref, make_user, login, asgi_server, width, height):
    call, dispatch = _escalated_fire(make_user, f"op_wall_{width}")
    page = _supervisor_page(make_user, login, asgi_server, f"spv_wall_{width}", {"width": width, "height": height})
    page.goto(asgi_server + "/wall/")
    alert = page.locator("#alerts .alert.escalated")
    expect(alert).to_contain_text(f"#{dispatch.pk}")
    expect(alert).to_contain_text("DAMKAR")
    expect(alert.locator("a")).to_contain_text(f"Kejadian #{call.incident_id}")
    expect(page.locator("#wall-map")).to_have_attribute("data-markers", "1")
    page.reload()
    expect(page.locator("#alerts .alert.escalated")).to_have_count(1)
    page.wait_for_timeout(300)
    page.screenshot(path=f"{SHOTS}/wall-{width}x{height}.png")
    _fits_one_screen(page)
    for selector in ("#wall-map", "#alerts", "table.unacked", "table.calls", "table.incidents", "#wall-summary"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] + min(box["height"], 40) <= height, selector
    assert axe_violations(page) == []


def test_a_tv_enrolled_by_a_supervisor_shows_the_wall_live_and_stops_when_revoked(ref, make_user, login, chromium, asgi_server):
    supervisor = _supervisor_page(make_user, login, asgi_server, "spv_devices")
    supervisor.goto(asgi_server + "/wall/devices/")
    supervisor.fill("input[name=name]", "TV ruang operator")
    supervisor.click("#wall-device-create")
    link = supervisor.locator("#wall-device-link").inner_text().strip()
    assert re.match(r"^http://[^/]+/wall/open/[\w-]+/$", link)
    supervisor.screenshot(path=f"{SHOTS}/wall-devices-1366x768.png")
    assert axe_violations(supervisor) == []

    tv_context = chromium.new_context(locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1920, "height": 1080})
    try:
        tv = tv_context.new_page()
        tv.goto(link)
        tv.click("#wall-device-open")
        expect(tv.locator("h1")).to_contain_text("TV ruang operator")
        wait_js(tv, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
        # Live: a new escalation reaches the TV's alerts without a reload.
        call, dispatch = _escalated_fire(make_user, "op_tv")
        tv.evaluate("window.Live.ping()")
        expect(tv.locator("#alerts .alert.escalated")).to_contain_text(f"#{dispatch.pk}")
        _fits_one_screen(tv)
        tv.screenshot(path=f"{SHOTS}/wall-tv-1920x1080.png")
        # Nothing but the wall.
        assert tv.request.get(asgi_server + "/desk/", max_redirects=0).status == 403
        assert tv.request.get(asgi_server + f"/api/v1/incidents/{call.incident_id}/").status == 403

        supervisor.goto(asgi_server + "/wall/devices/")
        supervisor.click("button[data-revoke]")
        expect(supervisor.locator("#wall-devices")).to_contain_text("dicabut")
        # The socket is closed at once, and the screen is taken to the login page.
        expect(tv.locator("input[name=username]")).to_be_visible(timeout=10_000)
        tv.goto(asgi_server + "/wall/")
        expect(tv.locator("input[name=username]")).to_be_visible()
    finally:
        tv_context.set_offline(True)
        tv_context.close()


def test_in_disaster_mode_the_wall_map_shows_the_epicentre_with_labelled_distance_rings_and_the_city(ref, make_user, login, asgi_server):
    """A pushed BMKG alert draws the epicentre and its 50/100/150 km rings on an open wall, the view
    widened to hold the city and the epicentre; a reload draws them again; a Cancel takes them away."""
    import uuid
    from datetime import datetime, timezone as dt_timezone

    import httpx

    from dispatch.tokens import token_create
    from tests.hazards.conftest import cap_at

    token = token_create(user=make_user("feed", username="bmkg_wall")).key
    page = _supervisor_page(make_user, login, asgi_server, "spv_wall_quake", {"width": 1920, "height": 1080})
    page.goto(asgi_server + "/wall/")
    wait_js(page, "window.Live && window.Live.connected && window.Live.lastSeq !== null && window.WallMap")
    expect(page.locator("#wall-map path.epicentre")).to_have_count(0)

    def push(name: str, tag: str) -> None:
        body = cap_at(name, sent=datetime.now(dt_timezone.utc), tag=tag)
        response = httpx.post(asgi_server + "/api/v1/hazards/cap/", content=body, timeout=10,
                              headers={"Authorization": f"Token {token}", "Content-Type": "application/xml", "Origin": asgi_server})
        assert response.status_code == 201, response.text

    def drawn() -> None:
        expect(page.locator("#disaster-banner")).to_be_visible(timeout=2_000)
        expect(page.locator("#wall-map path.epicentre")).to_have_count(1)
        expect(page.locator("#wall-map path.epicentre-ring")).to_have_count(3)
        expect(page.locator("#wall-map .ring-label")).to_have_text(["50 km", "100 km", "150 km"])
        expect(page.locator("#wall-map .epicentre-label")).to_contain_text("M6.2")
        # The epicentre (at sea, tens of km away) and the city's outline are both inside the map.
        page.wait_for_timeout(600)  # the view's move to fit both
        map_box = page.locator("#wall-map").bounding_box()
        for selector in ("#wall-map path.epicentre", "#wall-map path.leaflet-interactive:not(.epicentre):not(.epicentre-ring)"):
            box = page.locator(selector).first.bounding_box()
            assert box and map_box["x"] <= box["x"] and box["x"] + box["width"] <= map_box["x"] + map_box["width"], selector
            assert map_box["y"] <= box["y"] and box["y"] + box["height"] <= map_box["y"] + map_box["height"], selector

    tag = uuid.uuid4().hex[:8]
    push("cap_earthquake.xml", tag)
    drawn()
    _fits_one_screen(page)
    page.screenshot(path=f"{SHOTS}/wall-disaster-1920x1080.png")
    assert axe_violations(page) == []
    page.reload()
    wait_js(page, "window.WallMap")
    drawn()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(400)
    page.screenshot(path=f"{SHOTS}/wall-disaster-1366x768.png")
    _fits_one_screen(page)

    push("cap_earthquake_cancel.xml", tag)
    expect(page.locator("#disaster-banner")).to_be_hidden(timeout=2_000)
    expect(page.locator("#wall-map path.epicentre")).to_have_count(0)
    expect(page.locator("#wall-map path.epicentre-ring")).to_have_count(0)
    expect(page.locator("#wall-map .ring-label")).to_have_count(0)
