"""The supervisor's reports in the browser at 1366x768 and 1920x1080, in both languages: they open on
today, fit the width (no sideways scroll), name things in words not codes, and have no WCAG 2 A/AA
violations."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from calls import services as call_services
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations
from tests.browser.support import supervisor_page

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("REPORT_SHOTS_DIR", "/tmp/shots-reports")
PAGES = ["/reports/daily/", "/reports/kpi/", "/reports/charts/", "/reports/monthly/"]
CODES = re.compile(r"\b(emergency|information|complaint|unclassified|kebakaran_bangunan|darurat_medis)\b")


def _today_s_calls(make_user) -> None:
    operator = make_user("operator", username="op_reports")
    place = call_services.Location(lat=-3.7956, lon=102.2659, address="Jl. Soeprapto")
    fire, _ = call_services.call_create(operator=operator, caller_number="081277711001", notes="api di ruko", location=place)
    fire = call_services.call_classify(call_id=fire.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    dispatch_services.incident_dispatch(incident_id=fire.incident_id, user=operator, agency_codes=["DAMKAR"])
    for n, kind in enumerate(["prank", "ghost", "information"]):
        call, _ = call_services.call_create(operator=operator, caller_number=f"08127771110{n}")
        call_services.call_classify(call_id=call.pk, user=operator, call_type=kind)


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_the_reports_open_on_today_fit_the_screen_and_read_in_words_in_both_languages(ref, make_user, login, asgi_server, width, height):
    _today_s_calls(make_user)
    page = supervisor_page(make_user, login, asgi_server, f"spv_reports_{width}", {"width": width, "height": height})
    os.makedirs(SHOTS, exist_ok=True)
    for language in ("id", "en"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": asgi_server}])
        for path in PAGES:
            page.goto(asgi_server + path)
            page.wait_for_load_state("networkidle")
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=f"{SHOTS}/{name}-{language}-{width}x{height}.png", full_page=True)
            sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert sizes[0] <= sizes[1], f"{path} ({language}) scrolls sideways: {sizes}"
            text = page.locator("main").inner_text() if page.locator("main").count() else page.locator("body").inner_text()
            if language == "id":
                assert not CODES.search(text), (path, CODES.search(text).group(0))
            else:
                assert "kebakaran_bangunan" not in text, path
            assert axe_violations(page) == [], (path, language)
        # Opened on today: the daily log lists today's fire.
        page.goto(asgi_server + "/reports/daily/")
        expect(page.locator("main")).to_contain_text("Kebakaran rumah/bangunan/ruko" if language == "id" else "Structure fire")
