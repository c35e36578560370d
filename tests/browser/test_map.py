"""The city map (static/js/map.js): names from the data are shown as text in tooltips, never read as HTML."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agencies.models import Kelurahan
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKUP = '<img src="x" class="injected" onerror="window.injected = true">'


def test_a_kelurahan_name_with_markup_shows_as_text_in_the_map_tooltip(ref, make_user, login, asgi_server):
    Kelurahan.objects.update(name=MARKUP)
    make_user("operator", username="op_map")
    page = login("op_map", PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_function("document.querySelectorAll('#map .leaflet-interactive').length > 0")
    page.locator("#map").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    tooltip = page.locator(".leaflet-tooltip")
    # Move across the map until the pointer is over a kelurahan.
    for fx in (0.5, 0.4, 0.6, 0.3, 0.7):
        for fy in (0.5, 0.4, 0.6):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            if tooltip.count():
                break
        if tooltip.count():
            break
    expect(tooltip.first).to_contain_text('<img src="x"')
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert page.evaluate("window.injected === undefined")
