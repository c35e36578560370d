"""The night shift's whole path in two browsers: an operator at 1366x768 takes a ringing call and
dispatches it from the desk by keyboard; the agency's staff, on a 390x844 phone with the alarm
prompt enabled, hear it, see "Kejadian #N" and tap "Terima"; the operator's incident page shows it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import expect

from dispatch.models import Dispatch
from dispatch.tokens import token_create
from tests.browser.support import wait_js
from tests.browser.test_floor import FIRE_NOTES, Actions, _desk
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3,
         "locale": "id-ID", "timezone_id": "Asia/Jakarta"}


def _phone_console(chromium, asgi_server, username: str):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    page.goto(asgi_server + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("button[type=submit]").tap()
    page.wait_for_url(asgi_server + "/agency/")
    wait_js(page, "window.Alarms && window.Live && window.Live.lastSeq !== null")
    return context, page


def test_ring_to_dispatch_on_the_desk_and_acknowledged_on_a_phone(ref, make_user, login, chromium, asgi_server):
    make_user("operator", username="op_night")
    make_user("agency", agency="DAMKAR", username="damkar_night")
    pbx = httpx.Client(base_url=asgi_server, timeout=10,
                       headers={"Authorization": "Token " + token_create(user=make_user("pbx", username="pbx_night")).key})
    context, phone = _phone_console(chromium, asgi_server, "damkar_night")
    try:
        # The phone asks for sound once; a tap turns it on.
        prompt = phone.get_by_role("button", name="Aktifkan suara")
        expect(prompt).to_be_visible()
        prompt.tap()
        wait_js(phone, "Alarms.enabled && Alarms.audioState() === 'running'")
        assert phone.evaluate("document.scrollingElement.scrollWidth <= innerWidth")

        desk = _desk(login, "op_night")
        act = Actions(desk)
        call_id = pbx.post("/api/v1/telephony/events/", json={
            "event": "ringing", "pbx_call_id": "night.1", "caller_number": "0812 7000 8888", "at": datetime.now(UTC).isoformat(),
        }).json()["id"]
        expect(desk.locator(f"#ringing-list li[data-call-id='{call_id}']")).to_be_visible()
        act.press("Enter")
        expect(desk.locator("#call-id")).to_have_text(f"#{call_id}")
        desk.keyboard.type(FIRE_NOTES)
        expect(desk.locator("#places button").first).to_contain_text("Pasar Minggu")
        act.press("Alt+p")
        prefilled = desk.locator("#incident-type").input_value() == "kebakaran_bangunan"
        act.press("Alt+1")
        if not prefilled:
            act.press("1")
        expect(desk.locator("#dispatch-panel")).to_be_visible()
        link = desk.locator("#dispatch-incident")
        expect(link).to_contain_text("Kejadian #")
        incident_number = link.inner_text().split("#")[1]
        # The panel has listed the agencies, the routing rule's primary checked.
        expect(desk.locator("#dispatch-agencies li[data-agency='DAMKAR'] input")).to_be_checked()
        act.press("Control+Enter")
        expect(desk.locator("#last-dispatch")).to_contain_text("DAMKAR")
        assert act.count <= 6

        # The phone rings and shows the incident number the operator will say.
        wait_js(phone, "Alarms.active().includes('new_dispatch')", timeout=15)
        card = phone.locator("article[data-dispatch-id]").first
        expect(card).to_contain_text(f"Kejadian #{incident_number}")
        accept = card.locator("[data-action=acknowledge]")
        box = accept.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44 and box["y"] + box["height"] <= 844
        assert phone.evaluate("document.scrollingElement.scrollWidth <= innerWidth")

        # The operator watches the incident page while the agency accepts.
        incident_page = desk.context.new_page()
        incident_page.set_viewport_size({"width": 1366, "height": 768})
        incident_page.goto(f"{asgi_server}/incidents/{incident_number}/")
        wait_js(incident_page, "window.Live && window.Live.lastSeq !== null")
        accept.tap()
        wait_js(phone, "!Alarms.active().includes('new_dispatch')", timeout=15)
        expect(incident_page.locator("#incident-dispatches")).to_contain_text("Diterima", timeout=10000)
        dispatch = Dispatch.objects.get(incident_id=int(incident_number), agency__code="DAMKAR")
        assert dispatch.status == "acknowledged" and dispatch.acknowledged_by.username == "damkar_night"
    finally:
        context.set_offline(True)
        context.close()
