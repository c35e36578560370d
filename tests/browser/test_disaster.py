"""Disaster mode in the browser: a pushed BMKG alert raises the banner with its alarm on an operator's
desk and an agency console within 2 s; the desk takes quake calls in one key; a Cancel lowers it."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from tests.browser.a11y import axe_path
from playwright.sync_api import expect

from calls.models import Call
from tests.browser.support import wait_js
from tests.factories import PASSWORD
from tests.hazards.conftest import cap_at

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DISASTER_SHOTS", "/tmp/shots-disaster"))
AXE = Path(axe_path() or "/nonexistent/axe.min.js")


def _push(base: str, token: str, body: bytes) -> httpx.Response:
    return httpx.post(base + "/api/v1/hazards/cap/", content=body, timeout=10,
                      headers={"Authorization": f"Token {token}", "Content-Type": "application/xml", "Origin": base})


def _axe_violations(page, *selectors: str) -> list[str]:
    """WCAG 2 A/AA violations axe-core finds in the page, or only inside `selectors` (this feature's parts)."""
    if not AXE.exists():
        return []
    page.evaluate(AXE.read_text())  # evaluated by the browser's devtools, outside the page's CSP
    context = {"include": [[s] for s in selectors]} if selectors else None
    result = page.evaluate(
        "(context) => axe.run(context || document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})",
        context)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


def test_a_pushed_alert_raises_the_banner_on_the_desk_and_an_agency_console_and_a_cancel_lowers_it(ref, make_user, login, asgi_server):
    from dispatch.tokens import token_create

    make_user("operator", username="op_quake")
    make_user("agency", agency="DAMKAR", username="damkar_quake")
    token = token_create(user=make_user("feed", username="bmkg_push")).key
    desk = login("op_quake", PASSWORD)
    console = login("damkar_quake", PASSWORD)
    for page in (desk, console):
        wait_js(page, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
        expect(page.locator("#disaster-banner")).to_be_hidden()

    tag = uuid.uuid4().hex[:8]
    sent = datetime.now(timezone.utc)
    pushed_at = time.monotonic()
    response = _push(asgi_server, token, cap_at("cap_earthquake.xml", sent=sent, tag=tag))
    answered_at = time.monotonic()
    assert response.status_code == 201 and response.json()["disaster_mode"] is True
    for page in (desk, console):
        expect(page.locator("#disaster-banner")).to_be_visible(timeout=2_000)
    drawn_at = time.monotonic()
    print(f"push answered in {answered_at - pushed_at:.3f} s; both banners drawn {drawn_at - pushed_at:.3f} s after the push")
    # The fan-out itself (commit to both screens) within 2 s; the push's own answer is measured by bench/disaster_banner.py.
    assert drawn_at - answered_at < 2.0
    for page in (desk, console):
        alarm = page.locator("#disaster-alarm")
        expect(alarm).to_contain_text("MODE BENCANA")
        expect(alarm).to_contain_text("M6.2")
        expect(alarm).to_contain_text("km dari Kota Bengkulu")
        expect(alarm).to_contain_text("WIB")
        expect(alarm).to_contain_text("Tidak berpotensi tsunami")

    # The desk switched to surge intake: the script, the quick tags, and Alt+6 for a quake question.
    expect(desk.locator("#disaster-desk")).to_be_visible()
    expect(desk.locator("#disaster-script")).to_contain_text("Tetap tenang")
    desk.fill("#caller-number", "0812 7000 6006")
    desk.keyboard.press("Enter")
    expect(desk.locator("#form-status")).to_contain_text("tersimpan")
    desk.fill("#notes", "apakah akan ada tsunami?")
    desk.click("#disaster-desk button[data-tag='orang_terjebak']")
    expect(desk.locator("#notes")).to_have_value("apakah akan ada tsunami? #orang_terjebak")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (1920, 1080)):
        for name, page in (("desk", desk), ("agency", console)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls sideways at {width}"
            box = page.locator("#disaster-banner").bounding_box()
            assert box and box["y"] + box["height"] <= height
        info = desk.locator("#disaster-info").bounding_box()
        assert info and info["y"] + info["height"] <= height, "the quake button is below the fold"
    # With a report typed (the suggestion and the places it names shown), the surge panel still
    # leaves the notes, the suggestion and the classify keys on the screen at 1366x768.
    desk.set_viewport_size({"width": 1366, "height": 768})
    typed = desk.locator("#notes").input_value()
    desk.fill("#notes", "rumah roboh di dekat pasar panorama, ada orang terjebak dan luka parah")
    expect(desk.locator("#suggestion")).to_be_visible()
    desk.screenshot(path=str(SHOTS / "desk-1366-report.png"))
    for selector in ("#disaster-info", "#disaster-desk button[data-tag]", "#notes", "#suggestion", "#incident-type",
                     "button[data-call-type]", "#form-status"):
        for box in desk.evaluate("(sel) => Array.from(document.querySelectorAll(sel)).filter((el) => el.getClientRects().length)"
                                 ".map((el) => { const r = el.getBoundingClientRect(); return [r.top, r.bottom]; })", selector):
            assert box[0] >= 0 and box[1] <= 768, f"{selector} is below the fold in disaster mode: {box}"
    desk.screenshot(path=str(SHOTS / "desk-1366-report.png"))
    desk.fill("#notes", typed)
    desk.keyboard.press("Alt+6")
    expect(desk.locator("#form-status")).to_contain_text("diklasifikasi: Informasi")
    call = Call.objects.get(caller__number="+6281270006006")
    assert call.call_type == "information" and "#tanya_gempa" in call.notes and "#orang_terjebak" in call.notes

    for name, page in (("desk", desk), ("agency", console)):
        problems = _axe_violations(page, "#disaster-banner", "#disaster-desk") if name == "desk" else _axe_violations(page)
        assert problems == [], f"{name}: {problems}"

    # The disaster board groups the call; BPBD's board is the same page.
    desk.goto(asgi_server + "/disaster/")
    expect(desk.locator("#disaster-state-title")).to_contain_text("aktif")
    desk.screenshot(path=str(SHOTS / "board.png"), full_page=True)
    assert _axe_violations(desk) == []

    cancel = cap_at("cap_earthquake_cancel.xml", sent=datetime.now(timezone.utc), tag=tag)
    started = time.monotonic()
    assert _push(asgi_server, token, cancel).status_code == 201
    print(f"cancel answered in {time.monotonic() - started:.3f} s")
    expect(console.locator("#disaster-banner")).to_be_hidden(timeout=2_000)
    expect(desk.locator("#disaster-state-title")).to_contain_text("tidak aktif", timeout=3_000)
