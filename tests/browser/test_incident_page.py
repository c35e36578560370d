"""The incident page on one screen: its number as the operator says it, the dispatches and every
action without scrolling at 1366x768 and 1920x1080; calls, notes and history folded."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from agencies.geo import Location
from calls import services as call_services
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations
from tests.browser.support import wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots-agency")


def _fire_with_two_calls_sent_to_two_agencies(make_user, operator_name: str):
    operator = make_user("operator", username=operator_name)
    call, _ = call_services.call_create(
        operator=operator, caller_number="081277711111", notes="kebakaran ruko tiga lantai, ada orang terjebak",
        location=Location(lat=-3.7956, lon=102.2659, address="Jl. Soeprapto"),
    )
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    second, _ = call_services.call_create(operator=operator, caller_number="081277722222", notes="asap hitam dari ruko")
    call_services.call_classify(call_id=second.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan", duplicate_of=call.incident_id)
    dispatches = dispatch_services.incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR", "POLRESTA"])
    return call.incident_id, dispatches


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_everything_that_needs_action_is_on_the_first_screen(ref, make_user, login, asgi_server, width, height):
    incident_id, dispatches = _fire_with_two_calls_sent_to_two_agencies(make_user, f"op_inc_{width}")
    page = login(f"op_inc_{width}", PASSWORD)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{asgi_server}/incidents/{incident_id}/")
    expect(page.locator("h1")).to_contain_text(f"Kejadian #{incident_id}")
    assert page.locator("h1").inner_text().startswith(f"Kejadian #{incident_id}")
    expect(page).to_have_title(f"Kejadian #{incident_id} · 112 Kota Bengkulu")
    expect(page.locator("#incident-dispatches tbody tr[data-dispatch-id]")).to_have_count(2)
    page.wait_for_timeout(300)
    page.screenshot(path=f"{SHOTS}/incident-{width}x{height}.png")

    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1]
    needs_action = [
        "#incident-status",
        *[f"#incident-dispatches tr[data-dispatch-id='{d.pk}'] button[data-action=cancel]" for d in dispatches],
        "#dispatch-submit",
        "#close-incident",
        "#note-text",
        "#note-add",
        "#loc-address",
        "#loc-map",
        "#location-save",
    ]
    for selector in needs_action:
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (selector, box)
        assert box["x"] + box["width"] <= width, (selector, box)

    # Calls, notes and history are folded, one click away, and stay open when the page is drawn again.
    calls = page.locator("#incident-calls-card")
    expect(page.locator("#incident-calls")).to_be_hidden()
    calls.locator("summary").click()
    expect(page.locator("#incident-calls tbody tr")).to_have_count(2)
    expect(page.locator("#incident-calls")).to_be_visible()
    wait_js(page, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    page.fill("#note-text", "Penelepon kedua: api menjalar ke ruko sebelah")
    page.click("#note-add")
    expect(page.locator("#incident-notes li[data-note-id]")).to_have_count(1)
    expect(page.locator("#incident-calls")).to_be_visible()
    assert axe_violations(page) == []
