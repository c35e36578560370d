"""The agency console on a phone (390x844, touch) and on the floor's screens: the incident number
first, large touch targets, a call-back link, a map, nothing wider than the screen."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from agencies.geo import Location
from calls import services as call_services
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots-agency")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


@pytest.fixture
def open_console(login_at, asgi_server):
    """The agency console's user logged in, with the context options of a device (a phone, a size)."""
    return lambda username, **context_options: login_at(asgi_server, username, **context_options)


def _two_fires(make_user, staff_name: str):
    """Two incidents sent to Damkar, the second one newer; returns [(call, dispatch), (call, dispatch)]."""
    operator = make_user("operator", username=f"op_{staff_name}")
    make_user("agency", agency="DAMKAR", username=staff_name)
    sent = []
    for number, notes, lat, lon in (
        ("081234500001", "kebakaran gudang kayu", -3.7956, 102.2659),
        ("081234500002", "kebakaran rumah dua lantai, asap tebal", -3.8067, 102.3207),
    ):
        call, _ = call_services.call_create(
            operator=operator, caller_number=number, notes=notes, location=Location(lat=lat, lon=lon, address="Jl. Soeprapto")
        )
        call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
        [dispatch] = dispatch_services.incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])
        sent.append((call, dispatch))
    return sent


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide on a {widths[1]} px screen"


def test_on_a_phone_the_console_fits_the_width_with_the_incident_number_first_and_large_touch_targets(ref, make_user, open_console):
    (first_call, first), (second_call, second) = _two_fires(make_user, "damkar_phone")
    page = open_console("damkar_phone", **PHONE)
    page.wait_for_selector(f"article[data-dispatch-id='{second.pk}'] .map .leaflet-container, article[data-dispatch-id='{second.pk}'] .map.leaflet-container")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/agency-390x844.png")
    page.screenshot(path=f"{SHOTS}/agency-390x844-full.png", full_page=True)

    _no_sideways_scroll(page)
    # The top bar is all on the screen: the brand, the menu and the log-out button.
    for selector in (".topbar .brand", ".topbar nav a", ".topbar button[type=submit]"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector

    # The newest dispatch comes first and says the incident number the operator says on the phone.
    cards = page.locator("article[data-dispatch-id]")
    expect(cards.first).to_have_attribute("data-dispatch-id", str(second.pk))
    expect(cards.first.locator("h2")).to_contain_text(f"Kejadian #{second_call.incident_id}")
    title = cards.first.locator("h2").inner_text()
    assert title.startswith(f"Kejadian #{second_call.incident_id}")
    expect(cards.nth(1).locator("h2")).to_contain_text(f"Kejadian #{first_call.incident_id}")
    expect(cards.first.locator(".dispatch-meta")).to_contain_text(f"Pengiriman #{second.pk}")

    # The call-back number is a link the phone dials.
    link = cards.first.locator("a.callback")
    expect(link).to_have_attribute("href", "tel:+6281234500002")
    # The map is there and about a thumb tall.
    map_box = cards.first.locator(".map").bounding_box()
    assert 140 <= map_box["height"] <= 260 and map_box["width"] <= 390

    card = page.locator(f"article[data-dispatch-id='{second.pk}']")
    # Every button is a touch target of at least 44x44 CSS px, all the way through the dispatch's life.
    for action, then in (("acknowledge", "acknowledged"), ("en_route", "en_route"), ("on_scene", "on_scene"), ("resolved", None)):
        expect(card.locator(f"[data-action={action}]")).to_be_visible()
        # Measured in one evaluation from the document: the console draws its cards again on every
        # event, so a handle taken a moment earlier may point at a card already replaced.
        boxes = page.evaluate(
            "id => Array.from(document.querySelectorAll(`article[data-dispatch-id='${id}'] [data-action]`)).map(b => {"
            " const r = b.getBoundingClientRect(); return [b.textContent.trim(), r.x, r.width, r.height]; })",
            second.pk,
        )
        assert boxes
        for label, x, w, h in boxes:
            assert w >= 44 and h >= 44, (label, w, h)
            assert x >= 0 and x + w <= 390, (label, x, w)
        if action == "acknowledge":
            decline = card.locator("[data-action=declined]")
            expect(decline).to_have_text("Tolak")
            expect(card.locator("[data-action=acknowledge]")).to_have_text("Terima")
        card.locator(f"[data-action={action}]").tap()
        if then:
            expect(card).to_have_attribute("data-status", then, timeout=15_000)
    expect(page.locator(f"article[data-dispatch-id='{second.pk}']")).to_have_count(0, timeout=15_000)
    _no_sideways_scroll(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_on_the_floors_screens_the_newest_dispatchs_buttons_are_above_the_fold(ref, make_user, open_console, width, height):
    (_, first), (second_call, second) = _two_fires(make_user, f"damkar_{width}")
    page = open_console(f"damkar_{width}", viewport={"width": width, "height": height})
    card = page.locator(f"article[data-dispatch-id='{second.pk}']")
    expect(card.locator("h2")).to_contain_text(f"Kejadian #{second_call.incident_id}")
    page.wait_for_timeout(300)
    page.screenshot(path=f"{SHOTS}/agency-{width}x{height}.png")
    _no_sideways_scroll(page)
    for action in ("acknowledge", "declined"):
        box = card.locator(f"[data-action={action}]").bounding_box()
        assert box["y"] + box["height"] <= height, (action, box)
    expect(card.locator("a.callback")).to_have_attribute("href", "tel:+6281234500002")
    assert axe_violations(page) == []


def test_with_web_push_configured_the_console_offers_notifications_and_registers_its_service_worker(ref, make_user, login_at):
    """Chromium here cannot reach a real push service, so the subscription itself is tested in
    tests/push/; this checks the page's half: the offer and the service worker at the root scope."""
    from py_vapid import Vapid01, b64urlencode
    from cryptography.hazmat.primitives import serialization

    from tests.servers import start_server, stop_process

    key = Vapid01()
    key.generate_keys()
    env = {
        "WEBPUSH_VAPID_PRIVATE_KEY": b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big")),
        "WEBPUSH_VAPID_PUBLIC_KEY": b64urlencode(
            key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        ),
        "WEBPUSH_VAPID_SUBJECT": "mailto:112@bengkulukota.go.id",
        "SWEEP_FALLBACK_SECONDS": "0",
    }
    make_user("agency", agency="DAMKAR", username="damkar_push")
    proc, base = start_server(env)
    try:
        page = login_at(base, "damkar_push", **PHONE)
        button = page.locator("#push-enable")
        expect(button).to_be_visible()
        expect(button).to_have_text("Aktifkan notifikasi")
        assert button.get_attribute("data-key") == env["WEBPUSH_VAPID_PUBLIC_KEY"]
        box = button.bounding_box()
        assert box["height"] >= 44
        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == base + "/"
        _no_sideways_scroll(page)
    finally:
        stop_process(proc)
