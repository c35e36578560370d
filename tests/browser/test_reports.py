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


CHART_LEGENDS = """() => Object.fromEntries(['chart-hourly', 'chart-incidents', 'chart-ack'].map(id => {
  const canvas = document.getElementById(id);
  const chart = canvas && Chart.getChart(canvas);
  return [id, !chart ? null : chart.options.plugins.legend.display === false ? [] : chart.legend.legendItems.map(i => i.text)];
}))"""
# How much of the map element the city's outlines cover (their bounding box), and whether all of them are inside it.
CITY_IN_VIEW = """() => {
  const box = document.getElementById('report-map').getBoundingClientRect();
  const shapes = Array.from(document.querySelectorAll('#report-map path.leaflet-interactive')).map(p => p.getBoundingClientRect());
  const left = Math.min(...shapes.map(r => r.left)), right = Math.max(...shapes.map(r => r.right));
  const top = Math.min(...shapes.map(r => r.top)), bottom = Math.max(...shapes.map(r => r.bottom));
  return {shapes: shapes.length, inside: left >= box.left - 1 && right <= box.right + 1 && top >= box.top - 1 && bottom <= box.bottom + 1,
          height: (bottom - top) / box.height, width: (right - left) / box.width};
}"""


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_day_without_calls_says_so_in_place_of_each_chart_and_the_map_legend_puts_every_kelurahan_at_zero(ref, make_user, login, asgi_server, language):
    from agencies.models import Kelurahan

    page = supervisor_page(make_user, login, asgi_server, f"spv_empty_{language}", {"width": 1366, "height": 768})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": asgi_server}])
    page.goto(asgi_server + "/reports/charts/?date=2026-01-05")
    page.wait_for_load_state("networkidle")
    empty = page.locator("#report-charts .chart-empty")
    expect(empty).to_have_count(3)
    sentences = {"id": ["Tidak ada panggilan pada tanggal ini.", "Tidak ada kejadian darurat pada tanggal ini.",
                        "Belum ada pengiriman yang diterima instansi pada tanggal ini."],
                 "en": ["No calls on this date.", "No emergency incidents on this date.", "No dispatch was acknowledged by an agency on this date."]}
    expect(empty).to_have_text(sentences[language])
    assert page.locator("#report-charts canvas").count() == 0
    legend = page.locator("#map-legend")
    expect(legend).to_contain_text("Tidak ada kejadian dalam 30 hari terakhir." if language == "id" else "No incidents in the last 30 days.")
    expect(legend.locator("li")).to_have_text([f"0 · {Kelurahan.objects.count()} kelurahan"])
    page.screenshot(path=f"{SHOTS}/charts-empty-{language}-1366x768.png", full_page=True)
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_charts_name_their_series_in_words_and_the_map_shows_the_whole_city_with_a_legend_of_its_colour_classes(ref, make_user, login, asgi_server, language):
    from agencies.models import Kelurahan

    _today_s_calls(make_user)
    operator = make_user("operator", username=f"op_map_{language}")
    # Medical emergencies in the fire's kelurahan and in another one.
    for n, (lat, lon) in enumerate([(-3.7956, 102.2659), (-3.7956, 102.2659), (-3.8560, 102.3120)]):
        call, _ = call_services.call_create(operator=operator, caller_number=f"08127771120{n}", location=call_services.Location(lat=lat, lon=lon, address="x"))
        call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="darurat_medis")
    page = supervisor_page(make_user, login, asgi_server, f"spv_map_{language}", {"width": 1366, "height": 768})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": asgi_server}])
    page.goto(asgi_server + "/reports/charts/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#report-map")).to_have_attribute("data-painted", "incidents")
    assert page.locator("#report-charts .chart-empty").count() == 1  # no agency has acknowledged yet
    legends = page.evaluate(CHART_LEGENDS)
    words = {"id": ["Darurat", "Informasi", "Pengaduan", "Ghost call", "Prank / iseng", "Belum terklasifikasi"],
             "en": ["Emergency", "Information", "Complaint", "Ghost call", "Prank", "Unclassified"]}
    assert legends["chart-hourly"] == words[language]
    assert legends["chart-incidents"] == []  # one series, named by its heading
    assert legends["chart-ack"] is None
    # The legend: every class with its colour, range and number of kelurahan, adding up to the city.
    items = page.locator("#map-legend li").all_inner_texts()
    per_class = [int(re.search(r"· (\d+) kelurahan", item).group(1)) for item in items]
    assert sum(per_class) == Kelurahan.objects.count()
    assert items[0].startswith("0 · ") and len(items) >= 2 and sum(per_class[1:]) >= 2, items
    # The city at its first zoom: every outline inside the map, filling most of its height or width.
    view = page.evaluate(CITY_IN_VIEW)
    assert view["shapes"] == Kelurahan.objects.count() and view["inside"] and max(view["height"], view["width"]) > 0.8, view
    page.screenshot(path=f"{SHOTS}/charts-data-{language}-1366x768.png", full_page=True)
    assert axe_violations(page) == []
